/**
 * Numbers only: ggml block layouts and the operations of a transformer forward pass. Applications see
 * {@link dev.inferj.ggml.GgmlType} (what a GGUF tensor holds); the kernels are for inferj's own modules.
 */
module dev.inferj.kernels {
    requires static jdk.incubator.vector;
    // the warm-up sees from its thread's allocations when C2 has compiled the kernels
    requires jdk.management;

    exports dev.inferj.ggml;
    exports dev.inferj.kernels to dev.inferj.core, dev.inferj.jmh;
}
