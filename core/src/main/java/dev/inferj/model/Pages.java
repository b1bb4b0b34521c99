package dev.inferj.model;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Fresh memory for the tiled copy of the weights and for the KV cache, written page by page. Every 4 KB page costs a
 * fault (on a virtual machine ~10 µs), and {@code Arena.allocate} zeroes what it allocates before the copy
 * writes it: the tiling of a 2 GB file took 11 s, the copy itself a fraction of that. On Linux,
 * {@link #fresh} maps anonymous memory (zero already, faulted only when written) with transparent huge
 * pages (a fault per 2 MB). Elsewhere, or when native calls are not allowed, {@code Arena.allocate}.
 */
final class Pages {
    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final Native NATIVE = Native.find();

    private Pages() {
    }

    /** {@code size} zeroed bytes, aligned to 64 at least, freed with {@code arena}. */
    static MemorySegment fresh(Arena arena, long size) {
        if (NATIVE != null && size >= HUGE_PAGE) {
            MemorySegment mapped = NATIVE.map(arena, size);
            if (mapped != null) {
                return mapped;
            }
        }
        return arena.allocate(size, 64);
    }

    /** libc's mmap, madvise and munmap, where the platform has them. */
    private record Native(MethodHandle mmap, MethodHandle madvise, MethodHandle munmap) {
        static Native find() {
            if (!System.getProperty("os.name", "").equals("Linux")) {
                return null;
            }
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                var address = ValueLayout.ADDRESS;
                var jlong = ValueLayout.JAVA_LONG;
                var jint = ValueLayout.JAVA_INT;
                return new Native(
                        linker.downcallHandle(libc.find("mmap").orElseThrow(),
                                FunctionDescriptor.of(address, address, jlong, jint, jint, jint, jlong)),
                        linker.downcallHandle(libc.find("madvise").orElseThrow(),
                                FunctionDescriptor.of(jint, address, jlong, jint)),
                        linker.downcallHandle(libc.find("munmap").orElseThrow(),
                                FunctionDescriptor.of(jint, address, jlong)));
            } catch (RuntimeException e) { // no libc symbol, or native access denied: Arena.allocate it is
                return null;
            }
        }

        MemorySegment map(Arena arena, long size) {
            try {
                MemorySegment at = (MemorySegment) mmap.invokeExact(MemorySegment.NULL, size, PROT_READ_WRITE,
                        MAP_PRIVATE_ANONYMOUS, -1, 0L);
                if (at.address() == -1L) { // MAP_FAILED
                    return null;
                }
                advise(at, size, MADV_HUGEPAGE); // 4 KB pages still work
                OffHeap.count(size);
                return at.reinterpret(size, arena, segment -> unmap(segment, size));
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                return null;
            }
        }

        /** madvise, whose failure (an older kernel, say) only means the pages come as they would have. */
        void advise(MemorySegment at, long size, int advice) {
            try {
                int _ = (int) madvise.invokeExact(at, size, advice);
            } catch (Throwable e) {
                // a hint only
            }
        }

        private void unmap(MemorySegment segment, long size) {
            try {
                int _ = (int) munmap.invokeExact(segment, size);
                OffHeap.count(-size);
            } catch (Throwable e) {
                throw new IllegalStateException("munmap failed", e);
            }
        }
    }
}
