package dev.inferj.jmh;

import dev.inferj.gguf.GgufFile;
import dev.inferj.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encoding speed per tokenizer family on 100 KB of mixed-language text: llama.cpp's tokenizer test
 * inputs (English, code, CJK, emoji, Cyrillic, ... from {@code shared/tokenizer/llamacpp-tests})
 * concatenated and repeated to the size. The {@code tokens} counter reports tokens per second.
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar TokenizerBenchmarks -p shared=../shared}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TokenizerBenchmarks {
    private static final int TEXT_CHARS = 100_000;

    /** The shared test-data folder. */
    @Param("../shared")
    public String shared;

    @Param({"llama-spm", "gemma3-spm", "mistral-spm", "llama3-bpe", "qwen2-bpe", "gpt-2"})
    public String vocabulary;

    private Tokenizer tokenizer;
    private String text;
    private int tokensPerEncode;

    /** Tokens encoded per second, besides encodes per second. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Counters {
        public long tokens;

        @Setup(Level.Iteration)
        public void clear() {
            tokens = 0;
        }
    }

    @Setup
    public void setUp() throws IOException {
        Path root = Path.of(shared);
        try (GgufFile f = GgufFile.open(root.resolve("tokenizer/vocab/ggml-vocab-" + vocabulary + ".gguf"))) {
            tokenizer = Tokenizer.of(f.vocabulary());
        }
        StringBuilder corpus = new StringBuilder();
        try (Stream<Path> inputs = Files.list(root.resolve("tokenizer/llamacpp-tests"))) {
            inputs.filter(p -> p.toString().endsWith(".inp")).sorted().forEach(p -> {
                try {
                    corpus.append(Files.readString(p).replace("\n__ggml_vocab_test__\n", "\n"));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        StringBuilder sized = new StringBuilder(TEXT_CHARS);
        while (sized.length() < TEXT_CHARS) {
            sized.append(corpus);
        }
        sized.setLength(TEXT_CHARS);
        if (Character.isHighSurrogate(sized.charAt(TEXT_CHARS - 1))) {
            sized.setLength(TEXT_CHARS - 1);
        }
        text = sized.toString();
        tokensPerEncode = tokenizer.encode(text, false, false).length;
    }

    @Benchmark
    public int[] encode(Counters counters) {
        counters.tokens += tokensPerEncode;
        return tokenizer.encode(text, false, false);
    }
}
