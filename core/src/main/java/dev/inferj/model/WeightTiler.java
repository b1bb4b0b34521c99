package dev.inferj.model;

import dev.inferj.GgufFormatException;
import dev.inferj.InferjException;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.kernels.KernelWarmUp;
import dev.inferj.kernels.TileLayout;
import dev.inferj.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Copies a model's Q4_0 and Q8_0 matrices into {@link TileLayout}, which the kernels read several
 * times faster, in memory of {@code arena}. A large model is copied on a background thread while it
 * already computes from the mapped file: layer by layer, each followed by new {@link #weights()}
 * that read that layer's copies, after which the file's pages behind them are released (a forward
 * pass still holding older weights faults them back in from the page cache). Forward passes and the
 * copy of a layer take turns: on a few cores, a copy running beside a pass would stall the pass's
 * hundreds of parallel regions, so a pass waits for at most one layer. A small model is copied
 * before {@link #start} returns. Until the copy is complete, logits may differ in their last bits
 * from those after: the two layouts sum in other orders.
 */
public final class WeightTiler implements WeightSource, AutoCloseable {
    /** Below this many bytes to copy, tiling takes milliseconds: it is done at once, and the kernels are not warmed up. */
    static final long BACKGROUND_BYTES = 64L << 20;
    /**
     * The first forward pass of a cold JVM runs before the JIT has compiled its kernels (seconds for a 7B
     * model on two cores); copying weights and warming the tiled kernels up beside it made it several
     * times slower, so background tiling starts when a first pass ends, or this long after load without one.
     */
    private static final int FIRST_PASS_WAIT_SECONDS = 2;
    private static final Pattern LAYER = Pattern.compile("blk\\.(\\d+)\\..*");

    private final TransformerWeights.TensorReader reader;
    private final ModelConfig config;
    private final Arena arena;
    /** The tensors to tile, layer by layer, then those outside the layers (embedding, output). */
    private final List<List<GgufTensorInfo>> groups;
    private final Thread thread;
    /** Held by a forward pass, or by the copy of one layer; fair, so that the two alternate. */
    private final ReentrantLock turns = new ReentrantLock(true);
    private volatile TransformerWeights weights;
    /** Open once a forward pass has run: background tiling waits for it, or for {@link #FIRST_PASS_WAIT_SECONDS}. */
    private final CountDownLatch firstPass = new CountDownLatch(1);
    private volatile boolean stopped;
    private volatile InferjException failure;

    private WeightTiler(GgufFile file, ModelConfig config, Arena arena, long backgroundBytes) {
        this.reader = new TransformerWeights.TensorReader(file);
        this.config = config;
        this.arena = arena;
        this.weights = TransformerWeights.read(reader, config);
        this.groups = groups(file);
        long bytes = groups.stream().flatMap(List::stream).mapToLong(t -> file.data(t).byteSize()).sum();
        if (bytes >= backgroundBytes) {
            thread = Thread.ofPlatform().daemon().name("inferj-tiler").start(() -> run(true));
        } else {
            thread = null;
            run(false);
        }
    }

    /** Starts tiling the matrices of {@code file} into {@code arena} (shared: several threads write to it). */
    public static WeightTiler start(GgufFile file, ModelConfig config, Arena arena) {
        return new WeightTiler(file, config, arena, BACKGROUND_BYTES);
    }

    /** As {@link #start(GgufFile, ModelConfig, Arena)}, on a background thread from {@code backgroundBytes} to copy on. */
    static WeightTiler start(GgufFile file, ModelConfig config, Arena arena, long backgroundBytes) {
        return new WeightTiler(file, config, arena, backgroundBytes);
    }

    /** The weights as tiled so far. */
    @Override
    public TransformerWeights current() {
        return weights;
    }

    /** Waits for the layer being copied, if any, and holds the next one back until {@link #release}. */
    @Override
    public TransformerWeights acquire() {
        turns.lock();
        return weights;
    }

    @Override
    public void release() {
        firstPass.countDown();
        turns.unlock();
    }

    /**
     * Waits until every matrix that can be tiled is.
     *
     * @throws GgufFormatException when a matrix could not be tiled (a non-finite block scale): it is
     *                             still computed, from the file's layout
     * @throws InferjException     when tiling stopped on another error, or the wait was interrupted
     */
    public void await() {
        firstPass.countDown(); // the caller wants the tiles now
        if (thread != null) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InferjException("interrupted while waiting for the weights to be tiled", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Stops tiling and waits for the tensors being copied, so that the arena can be closed. */
    @Override
    public void close() {
        stopped = true;
        firstPass.countDown();
        if (thread == null) {
            return;
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true; // the arena must not be closed under the copy
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static List<List<GgufTensorInfo>> groups(GgufFile file) {
        TreeMap<Integer, List<GgufTensorInfo>> byLayer = new TreeMap<>();
        List<GgufTensorInfo> others = new ArrayList<>();
        for (GgufTensorInfo t : file.tensors()) {
            if (TransformerWeights.TensorReader.tileable(t)) {
                Matcher m = LAYER.matcher(t.name());
                (m.matches() ? byLayer.computeIfAbsent(Integer.parseInt(m.group(1)), l -> new ArrayList<>()) : others).add(t);
            }
        }
        List<List<GgufTensorInfo>> groups = new ArrayList<>(byLayer.values());
        groups.add(others);
        return groups;
    }

    private void run(boolean background) {
        if (background) {
            try {
                firstPass.await(FIRST_PASS_WAIT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            KernelWarmUp.start(); // the JIT compiles the tiled kernels while the weights are copied
        }
        for (List<GgufTensorInfo> group : groups) {
            turns.lock();
            try {
                if (!stopped) {
                    tileGroup(group);
                }
            } finally {
                turns.unlock();
            }
        }
    }

    private void tileGroup(List<GgufTensorInfo> group) {
        // several tensors at once: most of the time goes into fresh memory being faulted in, which one thread does slowly
        group.parallelStream().forEach(this::tile);
        if (stopped) {
            return;
        }
        weights = TransformerWeights.read(reader, config);
        for (GgufTensorInfo t : group) {
            MemorySegment source = reader.file().data(t);
            if (source.isMapped()) {
                source.unload();
            }
        }
    }

    private void tile(GgufTensorInfo t) {
        if (stopped) {
            return;
        }
        GgufFile file = reader.file();
        try {
            MemorySegment source = file.data(t);
            long[] dims = t.dims();
            WeightMatrix rowMajor = new WeightMatrix(t.name(), t.type(), source, (int) (t.elementCount() / dims[0]), (int) dims[0]);
            reader.addTiles(t, TileLayout.repack(rowMajor, arena.allocate(source.byteSize(), 64)).data());
        } catch (IllegalArgumentException e) { // a non-finite block scale, named by row and block
            fail(new GgufFormatException(file.source() + ": tensor " + e.getMessage(), e));
        } catch (RuntimeException | Error e) {
            stopped = true;
            fail(new InferjException(file.source() + ": tiling tensor " + t.name() + " failed: " + e, e));
        }
    }

    private synchronized void fail(InferjException e) {
        if (failure == null) {
            failure = e;
        }
    }
}
