package dev.inferj.cli;

import dev.inferj.quantize.ModelQuantizer;
import dev.inferj.quantize.QuantizationMix;
import dev.inferj.quantize.QuantizeListener;
import dev.inferj.quantize.QuantizeOptions;
import dev.inferj.quantize.QuantizeResult;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inferj quantize}: llama.cpp's {@code llama-quantize}, to the same bytes. */
@Command(name = "quantize", mixinStandardHelpOptions = true, description = {
        "Quantize a GGUF model as llama.cpp's llama-quantize IN OUT TYPE does (without an importance matrix), "
                + "to the same file: each tensor's type by llama-quantize's rules for the mix, ggml's rounding.",
        "Types: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, "
                + "q5_k_s, q5_k_m, q6_k (and llama-quantize's aliases q3_k, q4_k, q5_k for the _m mixes).",
        "Input tensors may be F32, F16, BF16 or Q8_0 (requantized); OUT is written beside itself and renamed "
                + "when complete."})
final class QuantizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--pure", description = "Every quantizable tensor in the type's base type, without the mix's "
            + "per-tensor rules (as llama-quantize --pure; rows the type's blocks do not divide still fall back).")
    boolean pure;

    @Mixin
    ThreadCount threads;

    @Parameters(index = "0", paramLabel = "IN.gguf", description = "The model to quantize.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT.gguf", description = "The file to write.")
    Path out;

    @Parameters(index = "2", paramLabel = "TYPE", description = "The quantization type (mix).")
    String type;

    @Override
    public Integer call() {
        QuantizationMix mix = Usage.lookUp(spec, () -> QuantizationMix.named(type));
        int n = threads.resolve(spec);
        PrintWriter err = spec.commandLine().getErr();
        QuantizeOptions options = QuantizeOptions.of(mix).withPure(pure).withThreads(n);
        ProgressBar bar = System.console() != null ? new ProgressBar(err) : null;
        if (bar != null) {
            options = options.withListener(bar);
        }
        long start = System.nanoTime();
        QuantizeResult result;
        try {
            result = ModelQuantizer.quantize(in, out, options);
        } finally {
            if (bar != null) {
                bar.clear();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        err.printf(Locale.ROOT, "quantized %s to %s: %s%s, %d tensors (%d converted), %s -> %s in %.1f s (%d threads)%n",
                in, out, mix, pure ? " pure" : "", result.tensors(), result.converted(),
                BenchCommand.bytes(result.inputBytes()), BenchCommand.bytes(result.outputBytes()), seconds, n);
        err.flush();
        return 0;
    }

    /** One line on a terminal, redrawn at most ten times a second: a bar, the percentage, the tensor. */
    static final class ProgressBar implements QuantizeListener {
        private static final int WIDTH = 30;
        private static final long INTERVAL_NANOS = 100_000_000L;

        private final PrintWriter err;
        private long last = System.nanoTime() - INTERVAL_NANOS;
        private int drawn;

        ProgressBar(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void progress(Progress p) {
            long now = System.nanoTime();
            if (now - last < INTERVAL_NANOS && p.bytesDone() < p.bytesTotal()) {
                return;
            }
            last = now;
            String line = line(p);
            err.print("\r" + line + " ".repeat(Math.max(0, drawn - line.length())));
            err.flush();
            drawn = line.length();
        }

        /** Erases the line, so that what is printed next starts on a clean one. */
        void clear() {
            if (drawn > 0) {
                err.print("\r" + " ".repeat(drawn) + "\r");
                err.flush();
                drawn = 0;
            }
        }

        static String line(Progress p) {
            double done = p.bytesTotal() == 0 ? 1 : (double) p.bytesDone() / p.bytesTotal();
            int filled = (int) Math.round(done * WIDTH);
            return String.format(Locale.ROOT, "[%s%s] %3d%% %d/%d %s %s -> %s", "#".repeat(filled),
                    " ".repeat(WIDTH - filled), (int) (done * 100), p.tensor() + 1, p.tensorCount(), p.name(), p.from(),
                    p.to());
        }
    }
}
