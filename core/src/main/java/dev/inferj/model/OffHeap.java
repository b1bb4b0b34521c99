package dev.inferj.model;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The off-heap memory inferj allocates besides its file mappings (tiled weights, KV caches, adapter copies), counted
 * from allocation to release, so that tests can check a closed model leaves none behind.
 */
public final class OffHeap {
    private static final AtomicLong LIVE = new AtomicLong();

    private OffHeap() {
    }

    /** A shared arena whose allocations count until it is closed. */
    public static Arena sharedArena() {
        return new CountedArena(Arena.ofShared());
    }

    /** Bytes allocated and not yet released, in this JVM. */
    public static long liveBytes() {
        return LIVE.get();
    }

    /** Counts {@code bytes} more (or, negative, fewer): for memory mapped outside an arena's allocator. */
    static void count(long bytes) {
        LIVE.addAndGet(bytes);
    }

    private static final class CountedArena implements Arena {
        private final Arena arena;
        private final AtomicLong allocated = new AtomicLong();

        CountedArena(Arena arena) {
            this.arena = arena;
        }

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            MemorySegment segment = arena.allocate(byteSize, byteAlignment);
            allocated.addAndGet(byteSize);
            count(byteSize);
            return segment;
        }

        @Override
        public MemorySegment.Scope scope() {
            return arena.scope();
        }

        @Override
        public void close() {
            arena.close();
            count(-allocated.getAndSet(0));
        }
    }
}
