package dev.inferj.model;

import dev.inferj.GgufFormatException;
import dev.inferj.UnsupportedModelException;
import dev.inferj.gguf.GgufFile;
import dev.inferj.kernels.Rope;

/**
 * How a model's metadata says its rope is scaled ({@code <arch>.rope.scaling.*}), read as llama.cpp
 * reads it: the type defaults to linear, a factor of 0 or none means 1, the original context defaults
 * to the trained one.
 *
 * @param freqScale        angles are multiplied by this: 1 / the scaling factor, 1 for type none
 * @param originalContext  the context the model was trained at before scaling (YaRN's ramp, Phi-3's choice of factors)
 * @param attentionFactor  the file's {@code rope.scaling.attn_factor}
 */
public record RopeScaling(Type type, float freqScale, int originalContext, float attentionFactor) {

    /** The scaling types llama.cpp knows. */
    public enum Type {
        NONE, LINEAR, YARN, LONGROPE
    }

    /** YaRN's ramp ends at pairs turning this many and this few times over the original context (llama.cpp's defaults). */
    private static final float BETA_FAST = 32f;
    private static final float BETA_SLOW = 1f;

    static RopeScaling fromGguf(GgufFile f, String arch, int trainedContext) {
        String key = arch + ".rope.scaling.type";
        String name = f.getString(key, "linear");
        Type type = switch (name) {
            case "none" -> Type.NONE;
            case "linear" -> Type.LINEAR;
            case "yarn" -> Type.YARN;
            case "longrope" -> Type.LONGROPE;
            default -> throw new UnsupportedModelException(f.source() + ": " + key + " \"" + name
                    + "\" is not supported (none, linear, yarn, longrope)");
        };
        String factorKey = f.has(arch + ".rope.scaling.factor") ? arch + ".rope.scaling.factor" : arch + ".rope.scale_linear";
        float factor = positive(f, factorKey, 0f, true);
        float freqScale = type == Type.NONE || factor == 0f ? 1f : 1f / factor;
        int original = f.getInt(arch + ".rope.scaling.original_context_length", 1, Integer.MAX_VALUE, trainedContext);
        float attention = positive(f, arch + ".rope.scaling.attn_factor", 1f, false);
        return new RopeScaling(type, freqScale, original, attention);
    }

    private static float positive(GgufFile f, String key, float fallback, boolean zeroAllowed) {
        float value = (float) f.getDouble(key, fallback);
        if (!(value > 0f || (zeroAllowed && value == 0f)) || Float.isInfinite(value)) {
            throw new GgufFormatException(f.source() + ": " + key + " " + value + " must be a finite number above 0");
        }
        return value;
    }

    /**
     * The rope of a session's global layers, as llama.cpp's context derives it: YaRN mixes extrapolated
     * angles in (ext factor 1) and corrects the magnitude by {@code 1 + 0.1 ln(factor)} inside the rope,
     * which the context's attention factor cancels ({@code get_mscale(factor) / (1 + 0.1 ln factor)});
     * the file's attention factor multiplies both.
     */
    public Rope.Scaling rope(float[] frequencyFactors) {
        return rope(freqScale, frequencyFactors);
    }

    /** The rope of local (sliding-window) layers: llama.cpp does not scale their frequencies. */
    public Rope.Scaling localRope() {
        return rope(1f, null);
    }

    private Rope.Scaling rope(float scale, float[] frequencyFactors) {
        float extFactor = type == Type.YARN ? 1f : 0f;
        float attention = 1f;
        if (extFactor != 0f) {
            float factor = 1.0f / freqScale;
            attention = factor <= 1.0f ? 1.0f : 0.1f * (float) Math.log(factor) + 1.0f;
            attention *= 1.0f / (1.0f + 0.1f * (float) Math.log(factor));
        }
        attention *= attentionFactor;
        return new Rope.Scaling(scale, extFactor, attention, BETA_FAST, BETA_SLOW, originalContext, frequencyFactors);
    }
}
