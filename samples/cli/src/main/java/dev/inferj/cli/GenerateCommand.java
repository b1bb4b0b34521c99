package dev.inferj.cli;

import dev.inferj.Generation;
import dev.inferj.LoadTimings;
import dev.inferj.Model;
import dev.inferj.Session;
import java.io.PrintWriter;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code inferj generate}: streams the continuation of a prompt to stdout, a summary to stderr. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generate text that continues a prompt.")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelArguments model;

    @Mixin
    SamplingArguments sampling;

    @Option(names = {"-p", "--prompt"}, required = true, description = "The prompt.")
    String prompt;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (Model m = model.load(); Session session = m.newSession(model.sessionOptions())) {
            model.applyAdapters(m, session);
            Generation g = session.generate(prompt, sampling.options(m), (id, text) -> {
                out.print(text);
                out.flush();
            });
            out.println();
            out.flush();
            if (g.stopReason() == Generation.StopReason.CONTEXT_FULL) {
                spec.commandLine().getErr().printf("inferj: the context (%d positions) is full: the generation stopped there"
                        + " (a larger -c, or --context-shift KEEP, lets it go on)%n", session.contextLength());
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--verbose")) {
                LoadTimings t = m.loadTimings();
                OptionalLong warmUp = Model.kernelWarmUpNanos();
                spec.commandLine().getErr().printf("load: map %d ms, vocabulary %d ms, weights %d ms, total %d ms | prompt %d ms"
                        + " (waiting for the kernel warm-up %d ms) | kernel warm-up %s%n", t.mapNanos() / 1_000_000,
                        t.vocabularyNanos() / 1_000_000, t.weightsNanos() / 1_000_000, t.totalNanos() / 1_000_000,
                        g.timings().promptNanos() / 1_000_000, g.timings().warmUpWaitNanos() / 1_000_000,
                        warmUp.isPresent() ? warmUp.getAsLong() / 1_000_000 + " ms" : "still running");
            }
            spec.commandLine().getErr().printf("prompt: %d tokens, %.1f t/s | generation: %d tokens, %.1f t/s | %s, %d threads%n",
                    g.timings().promptTokens(), g.timings().promptTokensPerSecond(),
                    g.timings().generatedTokens(), g.timings().generationTokensPerSecond(),
                    m.kernels(), model.options().threads());
        }
        return 0;
    }
}
