package dev.inferj;

import dev.inferj.gguf.GgufFile;

/** The sampling values a GGUF file recommends ({@code general.sampling.*}) over {@link GenerateOptions#defaults()}. */
final class SamplingDefaults {
    private static final String PREFIX = "general.sampling.";

    private SamplingDefaults() {
    }

    /**
     * @throws GgufFormatException when a value is of the wrong type or out of its range, naming the key
     */
    static GenerateOptions fromGguf(GgufFile f) {
        GenerateOptions o = GenerateOptions.defaults();
        try {
            o = o.withTemperature((float) f.getDouble(PREFIX + "temp", o.temperature()))
                    .withTopK(f.getInt(PREFIX + "top_k", 0, Integer.MAX_VALUE, o.topK()))
                    .withTopP((float) f.getDouble(PREFIX + "top_p", o.topP()))
                    .withMinP((float) f.getDouble(PREFIX + "min_p", o.minP()))
                    .withXtc((float) f.getDouble(PREFIX + "xtc_probability", o.xtcProbability()),
                            (float) f.getDouble(PREFIX + "xtc_threshold", o.xtcThreshold()))
                    .withRepeatLastN(f.getInt(PREFIX + "penalty_last_n", -1, Integer.MAX_VALUE, o.repeatLastN()))
                    .withRepeatPenalty((float) f.getDouble(PREFIX + "penalty_repeat", o.repeatPenalty()));
        } catch (IllegalArgumentException e) {
            throw new GgufFormatException(f.source() + ": metadata key " + PREFIX + "*: " + e.getMessage(), e);
        }
        return o;
    }
}
