package dev.inferj.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Gets the JIT to compile the hot kernels before a model needs them: until C2 has compiled a
 * Vector API kernel it runs many times slower, and the first forward pass of a large model would
 * pay for that. {@link #start} runs the tiled products (one token and a batch) of the weight types a
 * model holds on small random matrices in a background thread while the caller goes on loading; each
 * type once per JVM. Only those types: on a machine of two cores, warming kernels the model never calls
 * takes the CPU from the loading and from the warm-up of the ones it does.
 */
public final class KernelWarmUp {

    /** The tiled types whose products have been warmed up, or are being. */
    private static final Set<GgmlType> WARMED = ConcurrentHashMap.newKeySet();
    /** Enough calls for C2 to compile every kernel the products use. */
    private static final int ROUNDS = 3_000;

    private KernelWarmUp() {
    }

    /**
     * Starts warming up the tiled products of those of {@code types} not warmed up yet, on a daemon thread;
     * returns at once (and starts nothing when there is nothing new to warm).
     */
    public static void start(Collection<GgmlType> types) {
        List<GgmlType> fresh = types.stream().distinct().filter(t -> TileLayout.supports(t, TileLayout.TILE_ROWS)).filter(WARMED::add).toList();
        if (!fresh.isEmpty()) {
            Thread.ofPlatform().daemon().name("inferj-warm-up").start(() -> run(fresh));
        }
    }

    private static void run(List<GgmlType> types) {
        Kernels k = Kernels.get();
        int rows = 2 * TileLayout.TILE_ROWS;
        int cols = 256;
        SplittableRandom random = new SplittableRandom(1);
        try (Arena arena = Arena.ofConfined()) {
            WeightMatrix[] matrices = new WeightMatrix[types.size()];
            for (int t = 0; t < types.size(); t++) {
                GgmlType type = types.get(t);
                MemorySegment rowMajor = arena.allocate(type.byteSize(cols) * rows, 64);
                for (long i = 0; i < rowMajor.byteSize(); i++) {
                    // small bytes: read as F16, block scales are tiny finite values
                    rowMajor.set(ScalarKernels.BYTE, i, (byte) (random.nextInt(64)));
                }
                WeightMatrix w = new WeightMatrix("warm-up " + type, type, rowMajor, rows, cols);
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
