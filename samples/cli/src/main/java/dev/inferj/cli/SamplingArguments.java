package dev.inferj.cli;

import dev.inferj.GenerateOptions;
import dev.inferj.Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import picocli.CommandLine.Option;

/**
 * The options of commands that generate: how many tokens, how they are picked, when to stop. Values
 * not given come from the file's recommendations ({@code general.sampling.*}), else llama.cpp's defaults.
 */
final class SamplingArguments {
    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", description = "Most tokens to generate (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temp", description = "Temperature; 0 is greedy (default: the file's, else 0.8).")
    Float temperature;

    @Option(names = "--top-k", description = "Keep the k most likely tokens; 0 keeps all (default: the file's, else 40).")
    Integer topK;

    @Option(names = "--top-p", description = "Keep the most likely tokens up to this probability mass (default: the file's, else 0.95).")
    Float topP;

    @Option(names = "--min-p", description = "Keep tokens at least this fraction as likely as the best (default: the file's, else 0.05).")
    Float minP;

    @Option(names = "--typical", description = "Locally typical sampling mass; 1 is off (default 1).")
    Float typicalP;

    @Option(names = "--repeat-penalty", description = "Penalty on tokens among the last --repeat-last-n; 1 is off (default: the file's, else 1).")
    Float repeatPenalty;

    @Option(names = "--repeat-last-n", description = "How many last tokens the penalties look at; -1 all, 0 none (default: the file's, else 64).")
    Integer repeatLastN;

    @Option(names = "--frequency-penalty", description = "Subtracted once per occurrence in that window (default 0).")
    Float frequencyPenalty;

    @Option(names = "--presence-penalty", description = "Subtracted from each token in that window (default 0).")
    Float presencePenalty;

    @Option(names = "--dry-multiplier", description = "DRY penalty on extending repetitions; 0 is off (default 0).")
    Float dryMultiplier;

    @Option(names = "--xtc-probability", description = "XTC: chance of excluding the top choices at a step (default: the file's, else 0).")
    Float xtcProbability;

    @Option(names = "--xtc-threshold", description = "XTC's probability threshold (default: the file's, else 0.1).")
    Float xtcThreshold;

    @Option(names = "--logit-bias", paramLabel = "ID=BIAS", description = "Add BIAS to token ID's logit; -inf bans it (repeatable).")
    Map<Integer, String> logitBias = new HashMap<>();

    @Option(names = "--stop", paramLabel = "TEXT", description = "End the generation where TEXT appears, without it (repeatable).")
    List<String> stops = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Go on past end-of-generation tokens.")
    boolean ignoreEos;

    @Option(names = "--context-shift", paramLabel = "KEEP", description = "When the context fills, keep the first KEEP tokens, forget the older half of the rest and go on (default: stop).")
    Integer contextShift;

    @Option(names = "--grammar", paramLabel = "FILE", description = "Constrain the output to this GBNF grammar (llama.cpp's format).")
    Path grammar;

    @Option(names = "--json-schema", paramLabel = "FILE", description = "Constrain the output to a compact JSON document valid under this JSON Schema.")
    Path jsonSchema;

    @Option(names = "--seed", description = "Random seed (default: random).")
    Long seed;

    GenerateOptions options(Model model) {
        GenerateOptions o = given(model.generateDefaults(), "-n", maxTokens, GenerateOptions::withMaxTokens).withStopStrings(stops)
                .withStopAtEndOfGeneration(!ignoreEos);
        o = given(o, "--temp", temperature, GenerateOptions::withTemperature);
        o = given(o, "--top-k", topK, GenerateOptions::withTopK);
        o = given(o, "--top-p", topP, GenerateOptions::withTopP);
        o = given(o, "--min-p", minP, GenerateOptions::withMinP);
        o = given(o, "--typical", typicalP, GenerateOptions::withTypicalP);
        o = given(o, "--repeat-penalty", repeatPenalty, GenerateOptions::withRepeatPenalty);
        o = given(o, "--repeat-last-n", repeatLastN, GenerateOptions::withRepeatLastN);
        o = given(o, "--frequency-penalty", frequencyPenalty, GenerateOptions::withFrequencyPenalty);
        o = given(o, "--presence-penalty", presencePenalty, GenerateOptions::withPresencePenalty);
        o = given(o, "--dry-multiplier", dryMultiplier, GenerateOptions::withDryMultiplier);
        o = given(o, "--seed", seed, GenerateOptions::withSeed);
        o = given(o, "--context-shift", contextShift, GenerateOptions::withContextShift);
        o = given(o, "--grammar", read(grammar), GenerateOptions::withGrammar);
        o = given(o, "--json-schema", read(jsonSchema), GenerateOptions::withJsonSchema);
        if (xtcProbability != null || xtcThreshold != null) {
            o = o.withXtc(xtcProbability != null ? xtcProbability : o.xtcProbability(),
                    xtcThreshold != null ? xtcThreshold : o.xtcThreshold());
        }
        if (!logitBias.isEmpty()) {
            Map<Integer, Float> bias = new HashMap<>();
            logitBias.forEach((id, value) -> bias.put(id, parseBias(value)));
            o = o.withLogitBias(bias);
        }
        return o;
    }

    /** {@code o} changed by {@code with} when the option was given; a value it refuses is an error naming {@code flag}. */
    private static <T> GenerateOptions given(GenerateOptions o, String flag, T value, BiFunction<GenerateOptions, T, GenerateOptions> with) {
        try {
            return value == null ? o : with.apply(o, value);
        } catch (IllegalArgumentException e) {
            // the record names its component ("topP must be ..."): say the flag the user typed instead
            throw new IllegalArgumentException(flag + " " + e.getMessage().replaceFirst("^[a-zA-Z]+ ", ""), e);
        }
    }

    private static String read(Path file) {
        if (file == null) {
            return null;
        }
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static float parseBias(String value) {
        String v = value.trim();
        return v.equalsIgnoreCase("-inf") || v.equalsIgnoreCase("-infinity") ? Float.NEGATIVE_INFINITY : Float.parseFloat(v);
    }
}
