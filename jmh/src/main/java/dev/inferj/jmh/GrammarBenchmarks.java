package dev.inferj.jmh;

import dev.inferj.grammar.GbnfParser;
import dev.inferj.grammar.GrammarConstraint;
import dev.inferj.grammar.JsonSchemaGrammar;
import dev.inferj.grammar.TokenTrie;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Constrained decoding's cost per token, on a synthetic vocabulary of 32k or 128k word-like tokens,
 * under a JSON schema: checking the token the sampler drew ({@code checkDrawnToken}, the usual
 * step), and marking every allowed token by walking the trie ({@code maskVocabulary}, the step after
 * a refused draw), both inside a JSON string (most tokens allowed: the worst case) and after a
 * property name (one character allowed).
 *
 * <p>Run: {@code java -jar jmh/target/benchmarks.jar GrammarBenchmarks}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class GrammarBenchmarks {
    private static final String SCHEMA = """
            {"type":"object","properties":{"name":{"type":"string","maxLength":64},"age":{"type":"integer"}},
             "required":["name","age"]}""";

    @Param({"32000", "128000"})
    public int vocabulary;

    /** Where the text stands: inside the name's string, or right after {"name" (only ':' may follow). */
    @Param({"in-string", "after-key"})
    public String position;

    private TokenTrie trie;
    private GrammarConstraint constraint;
    private boolean[] allowed;
    private int drawn;

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(1);
        byte[][] tokens = new byte[vocabulary][];
        String letters = "abcdefghijklmnopqrstuvwxyz ,.:{}\"0123456789";
        for (int i = 0; i < vocabulary; i++) {
            StringBuilder b = new StringBuilder(i < letters.length() ? String.valueOf(letters.charAt(i)) : "");
            int n = i < letters.length() ? 0 : 2 + r.nextInt(8);
            for (int k = 0; k < n; k++) {
                b.append(letters.charAt(r.nextInt(26 + (k == 0 ? 1 : 0))));
            }
            tokens[i] = b.toString().getBytes(StandardCharsets.UTF_8);
        }
        trie = new TokenTrie(vocabulary, id -> tokens[id]);
        constraint = new GrammarConstraint(GbnfParser.parse(JsonSchemaGrammar.toGbnf(SCHEMA)), trie);
        String prefix = position.equals("in-string") ? "{\"name\":\"ab" : "{\"name\"";
        for (int cp : prefix.codePoints().toArray()) {
            constraint.accept(letters.indexOf(cp));
        }
        allowed = new boolean[vocabulary];
        drawn = letters.length() + 7;
    }

    @Benchmark
    public boolean checkDrawnToken() {
        return constraint.allows(drawn, 100);
    }

    @Benchmark
    public boolean[] maskVocabulary() {
        java.util.Arrays.fill(allowed, false);
        constraint.allowed(allowed, 100);
        return allowed;
    }
}
