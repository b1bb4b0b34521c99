/** inferj: run GGUF language models in the JVM. Start at {@link dev.inferj.Model}. */
module dev.inferj.core {
    requires transitive dev.inferj.kernels;
    requires transitive dev.inferj.tokenizer;

    exports dev.inferj;
    exports dev.inferj.chat;
    exports dev.inferj.gguf;
    exports dev.inferj.quantize;
    // the benchmarks measure the grammar and sampling loops on their own
    exports dev.inferj.grammar to dev.inferj.jmh;
    exports dev.inferj.sampling to dev.inferj.jmh;
}
