package dev.inferj.cli;

import dev.inferj.KvCacheType;
import dev.inferj.LoraAdapter;
import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import dev.inferj.ggml.GgmlType;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.tokenizer.Vocabulary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferj bench}: prompt processing and generation speed, measured and printed the way
 * llama.cpp's {@code llama-bench} does, so that the two tables can be read side by side.
 *
 * <p>For each thread count: the model is loaded, then each test runs once to warm up (the JIT
 * compiles the hot loops; llama-bench warms up too) and {@code -r} times measured, each in a new
 * session. {@code ppN}: evaluate a prompt of N token ids (BOS, then random ids), timed from the
 * first token to the logits of the last. {@code tgN}: N single-token steps from an empty session,
 * starting with BOS, each feeding the greedy choice of the previous step; timed over all N (llama-bench
 * feeds random ids instead; the work per step is the same). Tokens per second are computed per
 * run and then averaged; the spread is their sample standard deviation.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Measure prompt processing (pp) and generation (tg) speed, like llama-bench.")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "GGUF model file.")
    Path model;

    @Option(names = {"-p", "--n-prompt"}, defaultValue = "512", description = "Prompt tokens; 0 skips the pp test (default ${DEFAULT-VALUE}).")
    int prompt;

    @Option(names = {"-n", "--n-gen"}, defaultValue = "128", description = "Generated tokens; 0 skips the tg test (default ${DEFAULT-VALUE}).")
    int generate;

    @Option(names = {"-d", "--n-depth"}, defaultValue = "0",
            description = "Tokens already in the context when each test starts, as llama-bench's -d (default ${DEFAULT-VALUE}).")
    int depth;

    @Option(names = {"-t", "--threads"}, split = ",", paramLabel = "N[,N...]",
            description = "Thread counts to measure, comma-separated (default: all processors).")
    List<Integer> threads;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "5", description = "Measured runs of each test (default ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = {"-o", "--output"}, defaultValue = "md", description = "md (a markdown table) or json (default ${DEFAULT-VALUE}).")
    String output;

    @Option(names = "--no-tiles", description = "Compute on the Q4_0 and Q8_0 weights as the file lays them out (default: tile them at load).")
    boolean noTiles;

    @Option(names = "--tile-cache", paramLabel = "DIR", description = "Keep the tiled weights in DIR (see generate --help).")
    private Path tileCache;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "f16", converter = ModelArguments.KvTypes.class,
            description = "KV cache type: f32, f16 or q8_0 (default: ${DEFAULT-VALUE}).")
    KvCacheType kvType;

    @Option(names = "--lora", paramLabel = "FILE", description = "Apply this LoRA adapter (scale 1) in every test.")
    Path lora;

    @Option(names = "--no-warmup", description = "Skip the warm-up run of each test.")
    boolean noWarmup;

    @Option(names = "--progress", description = "Print each run to stderr as it happens.")
    boolean progress;

    /** The adapter loaded for the model under test, or null. */
    private LoraAdapter adapter;

    /** One line of the table: a test at a thread count, with the time of each measured run. */
    record Result(String test, int promptTokens, int generatedTokens, int threads, List<Long> samplesNs, Instant time) {
        double[] tokensPerSecond() {
            int n = promptTokens + generatedTokens;
            return samplesNs.stream().mapToDouble(ns -> 1e9 * n / ns).toArray();
        }
    }

    /** What the table says about the model file. */
    record ModelFacts(String filename, String type, long size, long parameters) {
    }

    @Override
    public Integer call() {
        if (prompt < 0 || generate < 0 || prompt + generate == 0) {
            throw new ParameterException(spec.commandLine(), "-p and -n must be >= 0 and not both 0");
        }
        if (depth < 0) {
            throw new ParameterException(spec.commandLine(), "-d must be >= 0, was " + depth);
        }
        if (repetitions < 1) {
            throw new ParameterException(spec.commandLine(), "-r must be at least 1, was " + repetitions);
        }
        if (!output.equals("md") && !output.equals("json")) {
            throw new ParameterException(spec.commandLine(), "-o must be md or json, not " + output);
        }
        List<Integer> threadCounts = threads == null || threads.isEmpty()
                ? List.of(Runtime.getRuntime().availableProcessors()) : threads;
        for (int t : threadCounts) {
            if (t < 1) {
                throw new ParameterException(spec.commandLine(), "-t must be at least 1, was " + t);
            }
        }
        ModelFacts facts = facts(model);
        PrintWriter out = spec.commandLine().getOut();
        List<Result> results = new ArrayList<>();
        String kernels = null;
        boolean markdown = output.equals("md");
        for (int t : threadCounts) {
            ModelOptions options = ModelOptions.defaults().withThreads(t).withContextLength(depth + Math.max(prompt, generate) + 1)
                    .withTileWeights(!noTiles).withTileCache(tileCache);
            long loadStart = System.nanoTime();
            try (Model m = Model.load(model, options)) {
                adapter = lora == null ? null : m.loadAdapter(lora);
                if (progress) {
                    log("%d threads: loaded in %.2f s", t, (System.nanoTime() - loadStart) * 1e-9);
                }
                if (kernels == null) {
                    kernels = m.kernels();
                    if (markdown) {
                        printHeader(out, columnKernels(kernels));
                    }
                }
                if (prompt > 0) {
                    Result r = measure(m, "pp" + prompt + atDepth(), prompt, 0, t);
                    results.add(r);
                    if (markdown) {
                        printRow(out, facts, columnKernels(kernels), r);
                    }
                }
                if (generate > 0) {
                    Result r = measure(m, "tg" + generate + atDepth(), 0, generate, t);
                    results.add(r);
                    if (markdown) {
                        printRow(out, facts, columnKernels(kernels), r);
                    }
                }
            }
        }
        if (markdown) {
            out.printf("%nbuild: inferj %s, %s%n", version(), runtime());
        } else {
            printJson(out, facts, kernels, results);
        }
        out.flush();
        return 0;
    }

    private Result measure(Model m, String test, int promptTokens, int generatedTokens, int threads) {
        if (!noWarmup) {
            if (progress) {
                log("%s, %d threads: warm-up", test, threads);
            }
            run(m, promptTokens, generatedTokens, new Random(-1));
        }
        List<Long> samples = new ArrayList<>();
        Instant time = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        for (int rep = 0; rep < repetitions; rep++) {
            long ns = run(m, promptTokens, generatedTokens, new Random(rep));
            samples.add(ns);
            if (progress) {
                log("%s, %d threads: run %d/%d: %.2f t/s", test, threads, rep + 1, repetitions,
                        1e9 * (promptTokens + generatedTokens) / ns);
            }
        }
        return new Result(test, promptTokens, generatedTokens, threads, List.copyOf(samples), time);
    }

    /** The kernels' name, and the KV cache type where it is not llama-bench's default (its type_k column). */
    private String columnKernels(String kernels) {
        String label = kvType == KvCacheType.F16 ? kernels : kernels + ", KV " + kvTypeName();
        return lora == null ? label : label + ", LoRA";
    }

    private String kvTypeName() {
        return kvType.name().toLowerCase(Locale.ROOT);
    }

    private String atDepth() {
        return depth > 0 ? " @ d" + depth : "";
    }

    /**
     * One timed run in a new session: a prompt of {@code promptTokens} ids, or {@code generatedTokens} greedy steps,
     * after {@link #depth} tokens evaluated untimed.
     */
    private long run(Model m, int promptTokens, int generatedTokens, Random random) {
        Vocabulary v = m.tokenizer().vocabulary();
        int vocab = m.info().vocabularySize();
        int first = v.addBos() && v.bosId() >= 0 ? v.bosId() : random.nextInt(vocab);
        try (Session session = m.newSession(SessionOptions.defaults().withCacheType(kvType))) {
            if (adapter != null) {
                session.setAdapters(List.of(adapter.scaled(1f)));
            }
            if (depth > 0) {
                session.evaluate(randomTokens(depth, first, vocab, random));
                first = random.nextInt(vocab);
            }
            if (promptTokens > 0) {
                int[] ids = randomTokens(promptTokens, first, vocab, random);
                long start = System.nanoTime();
                session.evaluate(ids);
                return System.nanoTime() - start;
            }
            int token = first;
            long start = System.nanoTime();
            for (int i = 0; i < generatedTokens; i++) {
                token = argmax(session.evaluate(token));
            }
            return System.nanoTime() - start;
        }
    }

    private static int[] randomTokens(int count, int first, int vocab, Random random) {
        int[] ids = new int[count];
        ids[0] = first;
        for (int i = 1; i < count; i++) {
            ids[i] = random.nextInt(vocab);
        }
        return ids;
    }

    private static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private void log(String format, Object... args) {
        PrintWriter err = spec.commandLine().getErr();
        err.printf(Locale.ROOT, "inferj bench: " + format + "%n", args);
        err.flush();
    }

    // ---- the model file

    static ModelFacts facts(Path file) {
        try (GgufFile f = GgufFile.open(file)) {
            long size = 0;
            long parameters = 0;
            for (GgufTensorInfo t : f.tensors()) {
                size += t.byteSize();
                parameters += t.elementCount();
            }
            String arch = f.getString("general.architecture", "?");
            String type = arch + " " + sizeLabel(parameters) + " " + fileType(f);
            return new ModelFacts(file.toString(), type, size, parameters);
        }
    }

    /**
     * "7B", "8B", "47B", "110M", "260K": the parameter count rounded, as model names give it (llama.cpp
     * names sizes from a table of known layer counts and prints "?B" for the rest).
     */
    static String sizeLabel(long parameters) {
        if (parameters >= 1_000_000_000L) {
            return Math.round(parameters / 1e9) + "B";
        }
        if (parameters >= 1_000_000L) {
            return Math.round(parameters / 1e6) + "M";
        }
        return Math.round(parameters / 1e3) + "K";
    }

    /**
     * The name llama.cpp gives the file's {@code general.file_type} ("Q4_0", "Q8_0", "F16", ...); without
     * that key, as llama.cpp does, the type most tensors have, marked "(guessed)".
     */
    static String fileType(GgufFile f) {
        long id = f.getLong("general.file_type", -1);
        if (id < 0) {
            java.util.Map<GgmlType, Long> counts = f.tensors().stream()
                    .collect(Collectors.groupingBy(GgufTensorInfo::type, Collectors.counting()));
            return counts.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
                    .map(e -> (e.getKey() == GgmlType.F32 ? "all F32" : e.getKey().name()) + " (guessed)")
                    .orElse("?");
        }
        return switch ((int) id) {
            case 0 -> "all F32";
            case 1 -> "F16";
            case 2 -> "Q4_0";
            case 3 -> "Q4_1";
            case 7 -> "Q8_0";
            case 8 -> "Q5_0";
            case 9 -> "Q5_1";
            case 10 -> "Q2_K - Medium";
            case 11 -> "Q3_K - Small";
            case 12 -> "Q3_K - Medium";
            case 13 -> "Q3_K - Large";
            case 14 -> "Q4_K - Small";
            case 15 -> "Q4_K - Medium";
            case 16 -> "Q5_K - Small";
            case 17 -> "Q5_K - Medium";
            case 18 -> "Q6_K";
            case 32 -> "BF16";
            default -> "?";
        };
    }

    // ---- the markdown table, with llama-bench's columns and widths

    private static final String[] COLUMNS = {"model", "size", "params", "backend", "threads", "test", "t/s"};

    /** llama-bench's widths (negative: left-aligned), the backend column widened to fit "JVM vector-512". */
    private static int[] widths(String kernels) {
        return new int[] {-30, 10, 10, -Math.max(10, backend(kernels).length()), 7, 15, 20};
    }

    private static String backend(String kernels) {
        return "JVM " + kernels;
    }

    private static void printHeader(PrintWriter out, String kernels) {
        int[] widths = widths(kernels);
        StringBuilder head = new StringBuilder("|");
        StringBuilder rule = new StringBuilder("|");
        for (int i = 0; i < COLUMNS.length; i++) {
            head.append(' ').append(pad(COLUMNS[i], widths[i])).append(" |");
            rule.append(' ').append("-".repeat(Math.abs(widths[i]) - 1)).append(widths[i] > 0 ? ':' : '-').append(" |");
        }
        out.println(head);
        out.println(rule);
        out.flush();
    }

    private static void printRow(PrintWriter out, ModelFacts facts, String kernels, Result r) {
        int[] widths = widths(kernels);
        double[] ts = r.tokensPerSecond();
        String[] values = {facts.type(), bytes(facts.size()), parameters(facts.parameters()), backend(kernels),
                Integer.toString(r.threads()), r.test(), String.format(Locale.ROOT, "%.2f ± %.2f", mean(ts), stddev(ts))};
        StringBuilder row = new StringBuilder("|");
        for (int i = 0; i < values.length; i++) {
            row.append(' ').append(pad(values[i], widths[i])).append(" |");
        }
        out.println(row);
        out.flush();
    }

    private static String pad(String s, int width) {
        return String.format(Locale.ROOT, "%" + (width < 0 ? "-" : "") + Math.abs(width) + "s", s);
    }

    static String bytes(long size) {
        return size < 1L << 30
                ? String.format(Locale.ROOT, "%.2f MiB", size / 1024.0 / 1024.0)
                : String.format(Locale.ROOT, "%.2f GiB", size / 1024.0 / 1024.0 / 1024.0);
    }

    static String parameters(long n) {
        return n < 1_000_000_000L
                ? String.format(Locale.ROOT, "%.2f M", n / 1e6)
                : String.format(Locale.ROOT, "%.2f B", n / 1e9);
    }

    static double mean(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return x.length == 0 ? 0 : s / x.length;
    }

    /** The sample standard deviation (n - 1), 0 for fewer than two values, as llama-bench computes it. */
    static double stddev(double[] x) {
        if (x.length < 2) {
            return 0;
        }
        double m = mean(x);
        double s = 0;
        for (double v : x) {
            s += (v - m) * (v - m);
        }
        return Math.sqrt(s / (x.length - 1));
    }

    // ---- JSON, with llama-bench's field names where they mean the same

    private void printJson(PrintWriter out, ModelFacts facts, String kernels, List<Result> results) {
        out.println("[");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            double[] ts = r.tokensPerSecond();
            double[] ns = r.samplesNs().stream().mapToDouble(Long::doubleValue).toArray();
            out.println("  {");
            field(out, "build_commit", string(version()));
            field(out, "cpu_info", string(cpuInfo()));
            field(out, "backends", string("JVM"));
            field(out, "kernels", string(kernels));
            field(out, "runtime", string(runtime()));
            field(out, "model_filename", string(facts.filename()));
            field(out, "model_type", string(facts.type()));
            field(out, "model_size", Long.toString(facts.size()));
            field(out, "model_n_params", Long.toString(facts.parameters()));
            field(out, "n_threads", Integer.toString(r.threads()));
            field(out, "type_k", string(kvTypeName()));
            field(out, "type_v", string(kvTypeName()));
            field(out, "n_prompt", Integer.toString(r.promptTokens()));
            field(out, "n_gen", Integer.toString(r.generatedTokens()));
            field(out, "n_depth", Integer.toString(depth));
            field(out, "test_time", string(r.time().toString()));
            field(out, "avg_ns", Long.toString(Math.round(mean(ns))));
            field(out, "stddev_ns", Long.toString(Math.round(stddev(ns))));
            field(out, "avg_ts", String.format(Locale.ROOT, "%.6f", mean(ts)));
            field(out, "stddev_ts", String.format(Locale.ROOT, "%.6f", stddev(ts)));
            field(out, "samples_ns", "[ " + r.samplesNs().stream().map(String::valueOf).collect(Collectors.joining(", ")) + " ]");
            out.println("    \"samples_ts\": [ " + java.util.Arrays.stream(ts)
                    .mapToObj(v -> String.format(Locale.ROOT, "%.6g", v)).collect(Collectors.joining(", ")) + " ]");
            out.println(i + 1 < results.size() ? "  }," : "  }");
        }
        out.println("]");
    }

    private static void field(PrintWriter out, String name, String json) {
        out.println("    \"" + name + "\": " + json + ",");
    }

    static String string(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static String version() {
        String v = BenchCommand.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    private static String runtime() {
        return "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")";
    }

    /** The CPU's model name from /proc/cpuinfo where there is one, else the architecture. */
    private static String cpuInfo() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }
}
