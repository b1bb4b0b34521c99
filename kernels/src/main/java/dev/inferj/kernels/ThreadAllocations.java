package dev.inferj.kernels;

import java.lang.management.ManagementFactory;

/** How many bytes the calling thread has allocated so far, as the JVM counts them (HotSpot's thread MXBean). */
final class ThreadAllocations {

    private final com.sun.management.ThreadMXBean threads;

    private ThreadAllocations(com.sun.management.ThreadMXBean threads) {
        this.threads = threads;
    }

    /** A counter, or null where this JVM does not count allocations per thread. */
    static ThreadAllocations counter() {
        try {
            if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                    && threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
                return new ThreadAllocations(threads);
            }
        } catch (LinkageError | RuntimeException e) {
            // no java.management in this runtime: no counter
        }
        return null;
    }

    /** The bytes the calling thread has allocated since it started. */
    long bytes() {
        return threads.getCurrentThreadAllocatedBytes();
    }
}
