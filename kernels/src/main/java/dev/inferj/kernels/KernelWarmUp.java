package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets the JIT to compile the hot kernels before a model needs them: until C2 has compiled a
 * Vector API kernel it runs hundreds of times slower, boxing every vector. {@link #start} runs the tiled
 * products (one token and a batch) of the weight types a model holds on one-block matrices in a
 * background thread while the caller goes on loading, each type once per JVM, and with them the kernels
 * every forward pass calls (norms, activations, softmax, attention's F16 products), once per JVM. Only
 * those types: on a machine of two cores, warming kernels the model never calls takes the CPU from the
 * loading and from the warm-up of the ones it does.
 *
 * <p>It runs until C2 has compiled them, which it sees in what a round allocates (see
 * {@link #COMPILED_ROUND_BYTES}), and the first forward pass waits for that ({@link #await}): run
 * interpreted on real shapes, the kernels would only take the cores from the compilers and push them to
 * compile their loops a second time, on stack replacement.
 */
public final class KernelWarmUp {

    /** The tiled types whose products have been warmed up, or are being. */
    private static final Set<GgmlType> WARMED = ConcurrentHashMap.newKeySet();
    /** Whether the kernels of every forward pass have been warmed up, or are being. */
    private static final AtomicBoolean COMMON_WARMED = new AtomicBoolean();
    /** When the latest warm-up started and ended ({@code System.nanoTime()}; the end 0 while it runs). */
    private static volatile long startedNanos;
    private static volatile long endedNanos;
    /**
     * A round that allocates less than this runs compiled by C2: interpreted or compiled by C1, the kernels
     * box their vectors (a kernel left so costs a round tens of kilobytes); C2's intrinsics box none, or a few
     * where it did not inline a helper.
     */
    static final long COMPILED_ROUND_BYTES = 16 * 1024;
    /** How many rounds run when this JVM cannot count a thread's allocations: enough for C2 on two cores. */
    private static final int UNCOUNTED_ROUNDS = 30_000;
    /** The longest a warm-up runs: all it costs where the kernels never compile ({@code -Xint}). */
    private static final long LIMIT_NANOS = 20_000_000_000L;
    /** The latest warm-up's thread, or null before the first. */
    private static volatile Thread latest;

    private KernelWarmUp() {
    }

    /**
     * Starts warming up the tiled products of those of {@code types} not warmed up yet, on a daemon thread;
     * returns at once (and starts nothing when there is nothing new to warm).
     */
    public static void start(Collection<GgmlType> types) {
        List<GgmlType> fresh = types.stream().distinct().filter(t -> TileLayout.supports(t, TileLayout.TILE_ROWS)).filter(WARMED::add).toList();
        boolean common = COMMON_WARMED.compareAndSet(false, true);
        if (!fresh.isEmpty() || common) {
            long started = System.nanoTime();
            endedNanos = 0;
            startedNanos = started;
            latest = Thread.ofPlatform().daemon().name("inferj-warm-up").start(() -> {
                run(fresh, common);
                if (startedNanos == started) { // an earlier warm-up ending during a later one reports nothing
                    endedNanos = System.nanoTime();
                }
            });
        }
    }

    /**
     * Waits until the latest warm-up has ended (at most its time limit) and returns how long it waited, in
     * nanoseconds: 0 when none runs. Interrupted, it returns with the thread's interrupt status set.
     */
    public static long await() {
        Thread thread = latest;
        if (thread == null || !thread.isAlive()) {
            return 0;
        }
        long start = System.nanoTime();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return System.nanoTime() - start;
    }

    /** How long the latest warm-up took, or empty while it runs (or when none has run in this JVM). */
    public static OptionalLong lastDurationNanos() {
        long ended = endedNanos;
        return ended == 0 ? OptionalLong.empty() : OptionalLong.of(ended - startedNanos);
    }

    private static void run(List<GgmlType> types, boolean common) {
        Kernels k = Kernels.get();
        int rows = 2 * TileLayout.TILE_ROWS;
        int cols = 256;
        SplittableRandom random = new SplittableRandom(1);
        // a shared arena, as the model's: profiled on a confined one, the kernels' hoisted owner-thread checks
        // fail on the model's memory, and C2 throws the compiled kernels away (profile_predicate traps)
        try (Arena arena = Arena.ofShared(); Arena confined = Arena.ofConfined()) {
            WeightMatrix[] matrices = new WeightMatrix[types.size()];
            for (int t = 0; t < types.size(); t++) {
                GgmlType type = types.get(t);
                // one block a row: each interpreted call costs little, and a call's few loop iterations let C2
                // compile the kernel whole before its loops would be compiled on stack replacement
                int blockCols = type.blockSize();
                MemorySegment rowMajor = arena.allocate(type.byteSize(blockCols) * rows, 64);
                for (long i = 0; i < rowMajor.byteSize(); i++) {
                    // small bytes: read as F16, block scales are tiny finite values
                    rowMajor.set(ScalarKernels.BYTE, i, (byte) (random.nextInt(64)));
                }
                WeightMatrix w = new WeightMatrix("warm-up " + type, type, rowMajor, rows, blockCols);
                matrices[t] = TileLayout.repack(w, arena.allocate(rowMajor.byteSize(), 64));
            }
            float[] x = new float[cols];
            for (int i = 0; i < cols; i++) {
                x[i] = (float) random.nextGaussian();
            }
            PreparedVector[] batch = new PreparedVector[5];
            PreparedVector[] kBatch = new PreparedVector[batch.length];
            float[][] out = new float[batch.length][rows];
            for (int b = 0; b < batch.length; b++) {
                batch[b] = new PreparedVector(cols);
                kBatch[b] = new PreparedVector(cols);
                k.prepare(x, 0, cols, ActivationFormat.Q8_0, batch[b]);
                k.prepare(x, 0, cols, ActivationFormat.Q8_K, kBatch[b]);
            }
            CommonKernels commonKernels = common ? new CommonKernels(k, arena, random) : null;
            WeightMatrix[] confinedQ4_0 = confinedCopies(matrices, confined);
            ThreadAllocations allocations = ThreadAllocations.counter();
            long deadline = System.nanoTime() + LIMIT_NANOS;
            for (int round = 0; allocations != null || round < UNCOUNTED_ROUNDS; round++) {
                boolean counted = allocations != null && round % 16 == 0;
                long before = counted ? allocations.bytes() : 0;
                if (commonKernels != null) {
                    commonKernels.run();
                }
                for (WeightMatrix w : matrices) {
                    PreparedVector[] xs = ActivationFormat.of(w.type()) == ActivationFormat.Q8_K ? kBatch : batch;
                    k.matVec(w, xs[0], out[0], 0, 0, rows);
                    k.matMul(w, xs, xs.length, out, 0, 0, rows);
                }
                for (WeightMatrix w : confinedQ4_0) {
                    k.matMul(w, batch, batch.length, out, 0, 0, rows);
                }
                k.prepare(x, 0, cols, ActivationFormat.Q8_0, batch[round % batch.length]);
                k.prepare(x, 0, cols, ActivationFormat.Q8_K, kBatch[round % batch.length]);
                if (counted && (allocations.bytes() - before < COMPILED_ROUND_BYTES || System.nanoTime() > deadline)) {
                    return;
                }
            }
        }
    }

    /**
     * Copies of the Q4_0 matrices in a confined arena, for the batch kernel to be profiled on memory of both kinds.
     * Profiled on shared memory only (the model's), C2 hoists the segment's owner check out of the kernel's loops
     * (profiled loop predication), and that code runs prompts slower: m7b8 Q4_0 pp64 67-76 t/s against 78-91 with
     * both kinds, here. Not for the Q8_0 batch kernel, which runs faster with the check hoisted (pp64 60-61 against
     * 43-51 compiled without).
     */
    private static WeightMatrix[] confinedCopies(WeightMatrix[] matrices, Arena confined) {
        return Arrays.stream(matrices).filter(w -> w.type() == GgmlType.Q4_0)
                .map(w -> new WeightMatrix(w.name(), w.type(), confined.allocate(w.data().byteSize(), 64).copyFrom(w.data()),
                        w.rows(), w.cols(), WeightMatrix.Layout.TILES))
                .toArray(WeightMatrix[]::new);
    }

    /** The kernels of every forward pass, on one head's or one row's worth of random values. */
    private static final class CommonKernels {
        private static final int N = 256;
        private static final int HEAD = 64;
        private final Kernels k;
        private final float[] x;
        private final float[] y;
        private final float[] weight;
        private final float[] scores;
        private final float[] partial;
        private final float[] out;
        private final MemorySegment cache;
        private final PreparedVector half = new PreparedVector(N);

        CommonKernels(Kernels k, Arena arena, SplittableRandom random) {
            this.k = k;
            x = gaussian(random, N);
            y = gaussian(random, N);
            weight = gaussian(random, N);
            scores = gaussian(random, N);
            partial = new float[4 * k.lanes() * HEAD];
            out = new float[N];
            cache = arena.allocate(2L * N, 64);
            k.storeF16(x, 0, cache, 0, N);
        }

        void run() {
            k.rmsNorm(x, 0, weight, out, 0, N, 1e-5f);
            System.arraycopy(x, 0, out, 0, N);
            k.swiGlu(out, y, N);
            System.arraycopy(scores, 0, out, 0, N);
            k.softmax(out, 0, N);
            k.add(out, y, N);
            k.scale(out, 0, N, 0.5f);
            k.storeF16(out, 0, cache, 0, HEAD);
            k.prepare(x, 0, N, ActivationFormat.F16, half);
            float dot = k.dotF16(cache, 0, half.values(), 0, HEAD) + k.dotF16Unrolled(cache, 0, half.values(), 0, HEAD);
            k.axpyF16(dot * 1e-3f, cache, 0, partial, 0, HEAD);
            k.dotF16x4(cache, 0, half.values(), x, y, out, 0, HEAD, scores, 0);
            k.axpyF16x4(cache, 0, HEAD, scores[0] * 1e-3f, scores[1] * 1e-3f, scores[2] * 1e-3f, scores[3] * 1e-3f, partial, 0,
                    HEAD, 2 * HEAD, 3 * HEAD);
            k.sumRows(partial, 0, 4 * k.lanes(), HEAD, out, 0);
            k.sumRows(partial, 0, k.lanes(), HEAD, out, 0);
        }

        private static float[] gaussian(SplittableRandom random, int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) random.nextGaussian();
            }
            return v;
        }
    }
}
