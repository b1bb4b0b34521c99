/** Numbers only: ggml block layouts and the operations of a transformer forward pass. */
module dev.inferj.kernels {
    requires static jdk.incubator.vector;
    // the warm-up sees from its thread's allocations when C2 has compiled the kernels
    requires jdk.management;

    exports dev.inferj.kernels;
}
