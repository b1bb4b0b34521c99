package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.SharedData;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code inferj bench} prints llama-bench's table and JSON. */
class BenchCommandTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    private static String model() {
        return SharedData.model("stories260K.gguf").toString();
    }

    @Test
    void printsAMarkdownTableWithLlamaBenchsColumnsAndOneRowPerTest() {
        assertEquals(0, run("bench", "-m", model(), "-p", "8", "-n", "4", "-t", "1", "-r", "2"), err.toString());
        List<String> lines = out.toString().lines().toList();
        // llama-bench's header, its backend column widened to the kernels' name ("JVM vector-512")
        assertTrue(lines.get(0).matches("\\| model                          \\|       size \\|     params \\| backend +\\|"
                + " threads \\|            test \\|                  t/s \\|"), lines.get(0));
        assertTrue(lines.get(1).matches("\\| -{30} \\| -{9}: \\| -{9}: \\| -{10,} \\| -{6}: \\| -{14}: \\| -{19}: \\|"),
                lines.get(1));
        Pattern row = Pattern.compile("\\| llama 293K all F32 \\(guessed\\) +\\| +1\\.12 MiB \\| +0\\.29 M \\| JVM \\S+ +\\|"
                + " +1 \\| +(pp8|tg4) \\| +\\d+\\.\\d\\d ± \\d+\\.\\d\\d \\|");
        assertTrue(row.matcher(lines.get(2)).matches(), lines.get(2));
        assertTrue(lines.get(2).contains(" pp8 |"), lines.get(2));
        assertTrue(row.matcher(lines.get(3)).matches(), lines.get(3));
        assertTrue(lines.get(3).contains(" tg4 |"), lines.get(3));
        assertEquals(lines.get(0).length(), lines.get(2).length(), "rows line up with the header");
        assertTrue(lines.get(5).startsWith("build: inferj"), lines.get(5));
    }

    @Test
    void printsOneRowPerTestAndThreadCount() {
        assertEquals(0, run("bench", "-m", model(), "-p", "0", "-n", "2", "-t", "1,2", "-r", "1"), err.toString());
        List<String> rows = out.toString().lines().filter(l -> l.startsWith("| llama")).toList();
        assertEquals(2, rows.size(), out.toString());
        assertTrue(rows.get(0).matches(".*\\|\\s+1 \\|\\s+tg2 \\|.*"), rows.get(0));
        assertTrue(rows.get(1).matches(".*\\|\\s+2 \\|\\s+tg2 \\|.*"), rows.get(1));
    }

    @Test
    void depthAndCacheTypeAreNamedInTheTestAndTheRecord() {
        String dense = SharedData.model("llama-dense-f32.gguf").toString(); // heads of 64 values: a Q8_0 cache fits
        assertEquals(0, run("bench", "-m", dense, "-p", "4", "-n", "2", "-d", "16", "--kv-type", "q8_0", "-t", "1", "-r", "1"),
                err.toString());
        List<String> rows = out.toString().lines().filter(l -> l.startsWith("| llama")).toList();
        assertEquals(2, rows.size(), out.toString());
        assertTrue(rows.get(0).matches(".*, KV q8_0 +\\|\\s+1 \\|\\s+pp4 @ d16 \\|.*"), rows.get(0));
        assertTrue(rows.get(1).matches(".*\\|\\s+tg2 @ d16 \\|.*"), rows.get(1));
        out.getBuffer().setLength(0);
        assertEquals(0, run("bench", "-m", dense, "-p", "0", "-n", "2", "-d", "16", "--kv-type", "f32", "-t", "1", "-r", "1",
                "-o", "json"), err.toString());
        String json = out.toString();
        assertTrue(json.contains("\"type_k\": \"f32\",") && json.contains("\"type_v\": \"f32\",")
                && json.contains("\"n_depth\": 16,"), json);
        assertEquals(2, run("bench", "-m", dense, "-n", "2", "--kv-type", "q4"));
        assertTrue(err.toString().contains("'q4' is not a KV cache type"), err.toString());
    }

    @Test
    void jsonIsAnArrayOfLlamaBenchRecords() {
        assertEquals(0, run("bench", "-m", model(), "-p", "8", "-n", "4", "-t", "1", "-r", "3", "-o", "json"), err.toString());
        String json = out.toString().strip();
        assertTrue(json.startsWith("[") && json.endsWith("]"), json);
        List<String> records = Pattern.compile("\\{[^{}]*}").matcher(json).results().map(java.util.regex.MatchResult::group).toList();
        assertEquals(2, records.size(), json);
        for (String field : List.of("model_filename", "model_type", "model_size", "model_n_params", "n_threads",
                "n_prompt", "n_gen", "avg_ns", "stddev_ns", "avg_ts", "stddev_ts", "samples_ns", "samples_ts", "test_time")) {
            assertTrue(records.get(0).contains("\"" + field + "\": "), field + " in " + records.get(0));
        }
        assertTrue(records.get(0).contains("\"n_prompt\": 8,") && records.get(0).contains("\"n_gen\": 0,"), records.get(0));
        assertTrue(records.get(1).contains("\"n_prompt\": 0,") && records.get(1).contains("\"n_gen\": 4,"), records.get(1));
        assertTrue(records.get(1).contains("\"n_threads\": 1,"), records.get(1));
        Matcher samples = Pattern.compile("\"samples_ts\": \\[ ([^\\]]*) ]").matcher(records.get(1));
        assertTrue(samples.find());
        assertEquals(3, samples.group(1).split(", ").length, "one sample per repetition");
        Matcher avg = Pattern.compile("\"avg_ts\": (\\d+\\.\\d+),").matcher(records.get(1));
        assertTrue(avg.find() && Double.parseDouble(avg.group(1)) > 0, records.get(1));
        assertTrue(json.contains("\"model_filename\": \"" + model().replace("\\", "\\\\") + "\""), json);
    }

    @Test
    void statisticsAreLlamaBenchs() {
        assertEquals(2.0, BenchCommand.mean(new double[] {1, 2, 3}));
        assertEquals(1.0, BenchCommand.stddev(new double[] {1, 2, 3}), 1e-12); // n - 1
        assertEquals(0.0, BenchCommand.stddev(new double[] {5}));
        assertEquals("3.83 GiB", BenchCommand.bytes(4_112_000_000L));
        assertEquals("7.24 B", BenchCommand.parameters(7_241_732_096L));
        assertEquals("7B", BenchCommand.sizeLabel(7_241_732_096L));
    }

    @Test
    void refusesNothingToMeasure() {
        assertNotEquals(0, run("bench", "-m", model(), "-p", "0", "-n", "0"));
        assertTrue(err.toString().contains("-p and -n"), err.toString());
    }
}
