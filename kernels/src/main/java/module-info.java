/** Numbers only: ggml block layouts and the operations of a transformer forward pass. */
module dev.inferj.kernels {
    requires static jdk.incubator.vector;

    exports dev.inferj.kernels;
}
