package dev.inferj;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * How {@link Session#generate} picks tokens and when it stops. Each step runs llama.cpp's default
 * chain, in its order: logit bias, repetition penalties, DRY, top-k, typical-p, top-p, min-p, XTC,
 * temperature, then a draw from what is left with the seeded random generator. Temperature 0 takes
 * the most likely token that is left (greedy). The same seed, prompt and options give the same
 * tokens on every run. Start from {@link #defaults()} (or {@link Model#generateDefaults()}, which
 * adds the file's recommended values) and change what you need with the {@code withX} methods.
 *
 * @param maxTokens        most tokens to generate
 * @param temperature      0 picks the most likely token every time (greedy); higher values flatten the distribution
 * @param topK             keep only the k most likely tokens (0: all)
 * @param topP             keep the most likely tokens whose probabilities add up to p (1: all)
 * @param minP             keep tokens at least this fraction as likely as the most likely one (0: all)
 * @param typicalP         locally typical sampling: keep the tokens whose surprise is closest to the
 *                         distribution's entropy, up to this probability mass (1: all)
 * @param repeatPenalty    divides the positive logits (multiplies the negative ones) of tokens among the
 *                         last {@code repeatLastN} tokens of the session, prompt included (1: off)
 * @param repeatLastN      how many of the session's last tokens the penalties look at (-1: all, 0: none)
 * @param frequencyPenalty subtracted from a token's logit once for each time it occurs in that window
 * @param presencePenalty  subtracted from the logit of each token that occurs in that window
 * @param dry              the DRY ("don't repeat yourself") penalty on tokens that would extend a repetition
 * @param xtcProbability   XTC ("exclude top choices"): the chance, at each step, that it removes all the
 *                         tokens above {@code xtcThreshold} but the least likely of them (0: off)
 * @param xtcThreshold     XTC's probability threshold (above 0.5: off)
 * @param logitBias        added to the logit of each token id before anything else; negative infinity bans it
 * @param seed             seed of the random draws, for repeatable output
 * @param stopAtEndOfGeneration whether an end-of-generation token (EOS, EOT, {@code <|im_end|>}...) ends the
 *                         generation
 * @param stopStrings      texts that end the generation where they appear in the output, also across tokens
 *                         or inside one; the stop text and what follows it are neither returned nor streamed
 * @param contextShift     when the session's context fills during generation: -1 ends the generation
 *                         ({@link Generation.StopReason#CONTEXT_FULL}); N >= 0 keeps the session's first N
 *                         tokens and forgets the older half of those after them, then goes on (llama.cpp's
 *                         context shift)
 * @param grammar          a GBNF grammar (llama.cpp's format) the output must follow, or null
 * @param jsonSchema       a JSON Schema the output must be a JSON document of (compact, no whitespace), or null;
 *                         at most one of {@code grammar} and {@code jsonSchema}. Under either, only tokens that
 *                         keep the text inside it, and leave enough tokens to complete it within
 *                         {@code maxTokens}, are drawn; the generation ends when the text is complete and
 *                         nothing may follow (or an end-of-generation token is drawn where it is complete).
 *                         A grammar or schema inferj cannot honour throws {@link GrammarException} when the
 *                         generation starts.
 * @param timeout          how long a call may run before it is cancelled ({@link #withTimeout}), or null for no limit
 */
public record GenerateOptions(int maxTokens, float temperature, int topK, float topP, float minP, float typicalP,
                              float repeatPenalty, int repeatLastN, float frequencyPenalty, float presencePenalty,
                              Dry dry, float xtcProbability, float xtcThreshold, Map<Integer, Float> logitBias,
                              long seed, boolean stopAtEndOfGeneration, List<String> stopStrings, int contextShift,
                              String grammar, String jsonSchema, Duration timeout) {

    public GenerateOptions {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative, was " + maxTokens);
        }
        if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, was " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must not be negative, was " + topK);
        }
        requireIn("topP", topP, 0f, false, 1f);
        requireIn("minP", minP, 0f, true, 1f);
        requireIn("typicalP", typicalP, 0f, false, 1f);
        if (!(repeatPenalty > 0f) || Float.isInfinite(repeatPenalty)) {
            throw new IllegalArgumentException("repeatPenalty must be a finite number > 0, was " + repeatPenalty);
        }
        requireLastN("repeatLastN", repeatLastN);
        requireFinite("frequencyPenalty", frequencyPenalty);
        requireFinite("presencePenalty", presencePenalty);
        if (dry == null) {
            throw new IllegalArgumentException("dry must not be null (use Dry.OFF)");
        }
        requireIn("xtcProbability", xtcProbability, 0f, true, 1f);
        requireIn("xtcThreshold", xtcThreshold, 0f, true, 1f);
        if (logitBias == null) {
            throw new IllegalArgumentException("logitBias must not be null (use Map.of())");
        }
        for (Map.Entry<Integer, Float> e : logitBias.entrySet()) {
            if (e.getKey() == null || e.getKey() < 0) {
                throw new IllegalArgumentException("logitBias has a key that is not a token id: " + e.getKey());
            }
            Float bias = e.getValue();
            if (bias == null || !(Float.isFinite(bias) || bias == Float.NEGATIVE_INFINITY)) {
                throw new IllegalArgumentException("logitBias of token " + e.getKey()
                        + " must be a finite number or negative infinity, was " + bias);
            }
        }
        logitBias = Collections.unmodifiableMap(new TreeMap<>(logitBias));
        stopStrings = List.copyOf(requireTexts("stopStrings", stopStrings));
        if (contextShift < -1) {
            throw new IllegalArgumentException("contextShift must be -1 (off) or the count of first tokens to keep, was "
                    + contextShift);
        }
        if (grammar != null && jsonSchema != null) {
            throw new IllegalArgumentException("grammar and jsonSchema: give one at most");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            throw new IllegalArgumentException("timeout must be positive (or null: none), was " + timeout);
        }
    }

    /**
     * The DRY penalty ("don't repeat yourself"): a token that would extend a sequence that already
     * occurred in the last {@code lastN} tokens, once that sequence is at least {@code allowedLength}
     * tokens long, loses {@code multiplier * base^(length - allowedLength)} from its logit. A sequence
     * never extends across a token whose text contains one of {@code sequenceBreakers}.
     *
     * @param multiplier       strength (0: off)
     * @param base             growth with the length of the repetition, at least 1
     * @param allowedLength    repetitions up to this length go unpunished
     * @param lastN            how many of the session's last tokens to search (-1: all, 0: off)
     * @param sequenceBreakers texts that end a repetition (by default new line, colon, quote, asterisk)
     */
    public record Dry(float multiplier, float base, int allowedLength, int lastN, List<String> sequenceBreakers) {
        /** Switched off, with llama.cpp's other defaults: base 1.75, allowed length 2, the last 64 tokens. */
        public static final Dry OFF = new Dry(0f, 1.75f, 2, 64, List.of("\n", ":", "\"", "*"));

        public Dry {
            if (!(multiplier >= 0f) || Float.isInfinite(multiplier)) {
                throw new IllegalArgumentException("dry multiplier must be a finite number >= 0, was " + multiplier);
            }
            if (!(base >= 1f) || Float.isInfinite(base)) {
                throw new IllegalArgumentException("dry base must be a finite number >= 1, was " + base);
            }
            if (allowedLength < 1) {
                throw new IllegalArgumentException("dry allowedLength must be at least 1, was " + allowedLength);
            }
            requireLastN("dry lastN", lastN);
            sequenceBreakers = List.copyOf(requireTexts("dry sequenceBreakers", sequenceBreakers));
        }

        /** Whether this penalty changes anything. */
        public boolean enabled() {
            return multiplier > 0f && lastN != 0;
        }

        public Dry withMultiplier(float multiplier) {
            return new Dry(multiplier, base, allowedLength, lastN, sequenceBreakers);
        }
    }

    /**
     * llama.cpp's defaults: 256 tokens, temperature 0.8, top-k 40, top-p 0.95, min-p 0.05, no
     * penalties (window 64), DRY and XTC off, a random seed, stop at end of generation, no stop strings.
     */
    public static GenerateOptions defaults() {
        return new GenerateOptions(256, 0.8f, 40, 0.95f, 0.05f, 1f, 1f, 64, 0f, 0f, Dry.OFF, 0f, 0.1f, Map.of(),
                System.nanoTime(), true, List.of(), -1, null, null, null);
    }

    /** The defaults with temperature 0: always the most likely token. */
    public static GenerateOptions greedy() {
        return defaults().withTemperature(0f);
    }

    public GenerateOptions withMaxTokens(int maxTokens) {
        return edit(b -> b.maxTokens = maxTokens);
    }

    public GenerateOptions withTemperature(float temperature) {
        return edit(b -> b.temperature = temperature);
    }

    public GenerateOptions withTopK(int topK) {
        return edit(b -> b.topK = topK);
    }

    public GenerateOptions withTopP(float topP) {
        return edit(b -> b.topP = topP);
    }

    public GenerateOptions withMinP(float minP) {
        return edit(b -> b.minP = minP);
    }

    public GenerateOptions withTypicalP(float typicalP) {
        return edit(b -> b.typicalP = typicalP);
    }

    public GenerateOptions withRepeatPenalty(float repeatPenalty) {
        return edit(b -> b.repeatPenalty = repeatPenalty);
    }

    public GenerateOptions withRepeatLastN(int repeatLastN) {
        return edit(b -> b.repeatLastN = repeatLastN);
    }

    public GenerateOptions withFrequencyPenalty(float frequencyPenalty) {
        return edit(b -> b.frequencyPenalty = frequencyPenalty);
    }

    public GenerateOptions withPresencePenalty(float presencePenalty) {
        return edit(b -> b.presencePenalty = presencePenalty);
    }

    public GenerateOptions withDry(Dry dry) {
        return edit(b -> b.dry = dry);
    }

    /** {@link #dry()} with this multiplier (0 switches it off). */
    public GenerateOptions withDryMultiplier(float multiplier) {
        return withDry(dry.withMultiplier(multiplier));
    }

    public GenerateOptions withXtc(float probability, float threshold) {
        return edit(b -> {
            b.xtcProbability = probability;
            b.xtcThreshold = threshold;
        });
    }

    public GenerateOptions withLogitBias(Map<Integer, Float> logitBias) {
        return edit(b -> b.logitBias = logitBias);
    }

    public GenerateOptions withSeed(long seed) {
        return edit(b -> b.seed = seed);
    }

    public GenerateOptions withStopAtEndOfGeneration(boolean stop) {
        return edit(b -> b.stopAtEndOfGeneration = stop);
    }

    public GenerateOptions withStopStrings(List<String> stopStrings) {
        return edit(b -> b.stopStrings = stopStrings);
    }

    public GenerateOptions withContextShift(int keep) {
        return edit(b -> b.contextShift = keep);
    }

    /** Constrains the output to a GBNF grammar (null: none); clears {@link #jsonSchema()}. */
    public GenerateOptions withGrammar(String grammar) {
        return edit(b -> {
            b.grammar = grammar;
            b.jsonSchema = null;
        });
    }

    /** Constrains the output to a JSON document valid under this JSON Schema (null: none); clears {@link #grammar()}. */
    public GenerateOptions withJsonSchema(String jsonSchema) {
        return edit(b -> {
            b.jsonSchema = jsonSchema;
            b.grammar = null;
        });
    }

    /**
     * A deadline for each call: a generation still running {@code timeout} after it starts ends after its current
     * step (or between two prompt batches) with {@link Generation.StopReason#CANCELLED} and what it has; null: none.
     */
    public GenerateOptions withTimeout(Duration timeout) {
        return edit(f -> f.timeout = timeout);
    }

    private GenerateOptions edit(Consumer<Fields> change) {
        Fields f = new Fields(this);
        change.accept(f);
        return f.build();
    }

    /** A mutable copy of the components, so that each {@code withX} names only what it changes. */
    private static final class Fields {
        Duration timeout;
        int maxTokens;
        float temperature;
        int topK;
        float topP;
        float minP;
        float typicalP;
        float repeatPenalty;
        int repeatLastN;
        float frequencyPenalty;
        float presencePenalty;
        Dry dry;
        float xtcProbability;
        float xtcThreshold;
        Map<Integer, Float> logitBias;
        long seed;
        boolean stopAtEndOfGeneration;
        List<String> stopStrings;
        int contextShift;
        String grammar;
        String jsonSchema;

        Fields(GenerateOptions o) {
            maxTokens = o.maxTokens;
            temperature = o.temperature;
            topK = o.topK;
            topP = o.topP;
            minP = o.minP;
            typicalP = o.typicalP;
            repeatPenalty = o.repeatPenalty;
            repeatLastN = o.repeatLastN;
            frequencyPenalty = o.frequencyPenalty;
            presencePenalty = o.presencePenalty;
            dry = o.dry;
            xtcProbability = o.xtcProbability;
            xtcThreshold = o.xtcThreshold;
            logitBias = o.logitBias;
            seed = o.seed;
            stopAtEndOfGeneration = o.stopAtEndOfGeneration;
            stopStrings = o.stopStrings;
            contextShift = o.contextShift;
            grammar = o.grammar;
            jsonSchema = o.jsonSchema;
            timeout = o.timeout;
        }

        GenerateOptions build() {
            return new GenerateOptions(maxTokens, temperature, topK, topP, minP, typicalP, repeatPenalty, repeatLastN,
                    frequencyPenalty, presencePenalty, dry, xtcProbability, xtcThreshold, logitBias, seed,
                    stopAtEndOfGeneration, stopStrings, contextShift, grammar, jsonSchema, timeout);
        }
    }

    private static void requireIn(String name, float value, float low, boolean lowIncluded, float high) {
        if (!((lowIncluded ? value >= low : value > low) && value <= high)) {
            throw new IllegalArgumentException(name + " must be in " + (lowIncluded ? "[" : "(") + low + ", " + high
                    + "], was " + value);
        }
    }

    private static void requireFinite(String name, float value) {
        if (!Float.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be a finite number, was " + value);
        }
    }

    private static void requireLastN(String name, int value) {
        if (value < -1) {
            throw new IllegalArgumentException(name + " must be -1 (all), 0 (off) or a count of tokens, was " + value);
        }
    }

    private static List<String> requireTexts(String name, List<String> texts) {
        if (texts == null) {
            throw new IllegalArgumentException(name + " must not be null (use List.of())");
        }
        for (String s : texts) {
            if (s == null || s.isEmpty()) {
                throw new IllegalArgumentException(name + " must not hold null or empty texts");
            }
        }
        return texts;
    }
}
