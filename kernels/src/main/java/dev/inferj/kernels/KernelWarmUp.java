package dev.inferj.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets the JIT to compile the hot kernels before a model needs them: until C2 has compiled a
 * Vector API kernel it runs many times slower, and the first forward pass of a large model would
 * pay for that. {@link #start} runs the tiled Q4_0, Q8_0 and K-quant (Q2_K to Q6_K) products (one token and a batch) on
 * small random matrices in a background thread, once per JVM, while the caller goes on loading.
 */
public final class KernelWarmUp {

    private static final AtomicBoolean STARTED = new AtomicBoolean();
    /** Enough calls for C2 to compile every kernel the products use. */
    private static final int ROUNDS = 3_000;

    private KernelWarmUp() {
    }

    /** Starts the warm-up on a daemon thread, the first time only; later calls return at once. */
    public static void start() {
        if (STARTED.compareAndSet(false, true)) {
            Thread.ofPlatform().daemon().name("inferj-warm-up").start(KernelWarmUp::run);
        }
    }

    private static void run() {
        Kernels k = Kernels.get();
        int rows = 2 * TileLayout.TILE_ROWS;
        int cols = 256;
        SplittableRandom random = new SplittableRandom(1);
        try (Arena arena = Arena.ofConfined()) {
            GgmlType[] types = {GgmlType.Q4_0, GgmlType.Q8_0, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K,
                GgmlType.Q6_K};
            WeightMatrix[] matrices = new WeightMatrix[types.length];
            for (int t = 0; t < types.length; t++) {
                MemorySegment rowMajor = arena.allocate(types[t].byteSize(cols) * rows, 64);
                for (long i = 0; i < rowMajor.byteSize(); i++) {
                    // small bytes: read as F16, block scales are tiny finite values
                    rowMajor.set(ScalarKernels.BYTE, i, (byte) (random.nextInt(64)));
                }
                WeightMatrix w = new WeightMatrix("warm-up " + types[t], types[t], rowMajor, rows, cols);
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
            for (int round = 0; round < ROUNDS; round++) {
                for (WeightMatrix w : matrices) {
                    PreparedVector[] xs = w.type().activationFormat() == ActivationFormat.Q8_K ? kBatch : batch;
                    k.matVec(w, xs[0], out[0], 0, 0, rows);
                    k.matMul(w, xs, xs.length, out, 0, 0, rows);
                }
                k.prepare(x, 0, cols, ActivationFormat.Q8_0, batch[round % batch.length]);
                k.prepare(x, 0, cols, ActivationFormat.Q8_K, kBatch[round % batch.length]);
            }
        }
    }
}
