package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/** The reference implementation of {@link Kernels}: plain loops that say what each operation means. */
public class ScalarKernels implements Kernels {

    static final ValueLayout.OfShort F16_LAYOUT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32_LAYOUT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void prepare(float[] x, int offset, int length, ActivationFormat format, PreparedVector out) {
        out.length = length;
        out.format = format;
        switch (format) {
            case F32 -> System.arraycopy(x, offset, out.values, 0, length);
            case F16 -> {
                for (int i = 0; i < length; i++) {
                    out.values[i] = Float.float16ToFloat(Float.floatToFloat16(x[offset + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < length; i++) {
                    out.values[i] = Bf16.toFloat(Bf16.fromFloat(x[offset + i]));
                }
            }
            case Q8_0 -> {
                quantizeQ8_0(x, offset, length, out, false);
                out.deriveFromQ8_0Quants();
            }
            case Q8_1 -> quantizeQ8_0(x, offset, length, out, true);
            case Q8_K -> {
                quantizeQ8_K(x, offset, length, out);
                out.deriveFromQ8_KQuants();
            }
        }
    }

    /**
     * Q8_0 as ggml's x86 path does it: id = 127 / max|x|, q = round-half-even(x * id), scale = max|x| / 127 as F16;
     * for Q8_1 also s = scale * sum(q), with the scale before its rounding, as F16.
     */
    private static void quantizeQ8_0(float[] x, int offset, int length, PreparedVector out, boolean blockSums) {
        int blocks = length / PreparedVector.Q8_BLOCK;
        for (int b = 0; b < blocks; b++) {
            int base = offset + b * PreparedVector.Q8_BLOCK;
            float amax = 0f;
            for (int i = 0; i < PreparedVector.Q8_BLOCK; i++) {
                amax = Math.max(amax, Math.abs(x[base + i]));
            }
            float d = amax / 127f;
            float id = amax != 0f ? 127f / amax : 0f;
            out.scales[b] = Float.float16ToFloat(Float.floatToFloat16(d));
            int sum = 0;
            for (int i = 0; i < PreparedVector.Q8_BLOCK; i++) {
                byte q = (byte) Math.rint(x[base + i] * id);
                out.quants[b * PreparedVector.Q8_BLOCK + i] = q;
                sum += q;
            }
            if (blockSums) {
                out.blockSums[b] = Float.float16ToFloat(Float.floatToFloat16(d * sum));
            }
        }
    }

    /**
     * Q8_K as ggml's {@code quantize_row_q8_K_ref}, which x86 builds run: with {@code max} the
     * first element of largest magnitude, iscale = -127 / max, q = min(127, nearest(iscale * x)),
     * scale = 1 / iscale (a float, not rounded to F16), and the sum of each group of 16 quants.
     * An all-zero block gets scale 0 and zero quants.
     */
    private static void quantizeQ8_K(float[] x, int offset, int length, PreparedVector out) {
        int blocks = length / PreparedVector.Q8_K_BLOCK;
        for (int b = 0; b < blocks; b++) {
            int base = offset + b * PreparedVector.Q8_K_BLOCK;
            int at = b * PreparedVector.Q8_K_BLOCK;
            float max = 0f;
            float amax = 0f;
            for (int i = 0; i < PreparedVector.Q8_K_BLOCK; i++) {
                float ax = Math.abs(x[base + i]);
                if (ax > amax) {
                    amax = ax;
                    max = x[base + i];
                }
            }
            int groups = PreparedVector.Q8_K_BLOCK / PreparedVector.Q8_K_GROUP;
            if (amax == 0f) {
                out.scales[b] = 0f;
                Arrays.fill(out.quants, at, at + PreparedVector.Q8_K_BLOCK, (byte) 0);
                Arrays.fill(out.groupSums, b * groups, (b + 1) * groups, (short) 0);
                continue;
            }
            float iscale = -127f / max;
            for (int i = 0; i < PreparedVector.Q8_K_BLOCK; i++) {
                out.quants[at + i] = (byte) Math.min(127, nearestInt(iscale * x[base + i]));
            }
            for (int g = 0; g < groups; g++) {
                int sum = 0;
                for (int i = 0; i < PreparedVector.Q8_K_GROUP; i++) {
                    sum += out.quants[at + g * PreparedVector.Q8_K_GROUP + i];
                }
                out.groupSums[b * groups + g] = (short) sum;
            }
            out.scales[b] = 1f / iscale;
        }
    }

    /**
     * ggml's {@code nearest_int}: adding 1.5 * 2^23 leaves the integer nearest to {@code v} (ties to
     * even) in the low mantissa bits; exact for |v| below 2^22, and for other inputs (infinities,
     * NaN) the same bits ggml gets.
     */
    static int nearestInt(float v) {
        return (Float.floatToRawIntBits(v + 12582912f) & 0x007fffff) - 0x00400000;
    }

    @Override
    public void matVec(WeightMatrix w, PreparedVector x, float[] out, int outOffset, int fromRow, int toRow) {
        for (int r = fromRow; r < toRow; r++) {
            out[outOffset + r] = dotRow(w, r, x);
        }
    }

    @Override
    public void matMul(WeightMatrix w, PreparedVector[] x, int count, float[][] out, int outOffset, int fromRow, int toRow) {
        for (int r = fromRow; r < toRow; r++) {
            for (int b = 0; b < count; b++) {
                out[b][outOffset + r] = dotRow(w, r, x[b]);
            }
        }
    }

    /** Row {@code r} of {@code w} dotted with a prepared activation. */
    protected float dotRow(WeightMatrix w, int r, PreparedVector x) {
        boolean kTiles = w.layout() == WeightMatrix.Layout.TILES && TiledKQuants.supports(w.type());
        MemorySegment m = kTiles ? untiled(w, r) : w.data(); // tiled K-quants: one row back in ggml's blocks
        long base = kTiles ? 0 : w.layout() == WeightMatrix.Layout.ROWS ? w.rowOffset(r) : -1; // tiled: see scaleAt, quantAt
        int n = w.cols();
        switch (w.type()) {
            case F32 -> {
                return dotF32(m, base, x.values, 0, n);
            }
            case F16 -> {
                return dotF16(m, base, x.values, 0, n);
            }
            case BF16 -> {
                float sum = 0f;
                for (int i = 0; i < n; i++) {
                    sum += Bf16.toFloat(m.get(F16_LAYOUT, base + 2L * i)) * x.values[i];
                }
                return sum;
            }
            case Q8_0 -> {
                float sum = 0f;
                for (int b = 0; b < n / 32; b++) {
                    float d = Float.float16ToFloat(m.get(F16_LAYOUT, scaleAt(w, r, b)));
                    int sumi = 0;
                    for (int i = 0; i < 32; i++) {
                        sumi += m.get(BYTE, quantAt(w, r, b, i)) * x.quants[b * 32 + i];
                    }
                    sum += sumi * (d * x.scales[b]);
                }
                return sum;
            }
            case Q4_0 -> {
                float sum = 0f;
                for (int b = 0; b < n / 32; b++) {
                    float d = Float.float16ToFloat(m.get(F16_LAYOUT, scaleAt(w, r, b)));
                    int sumi = 0;
                    for (int i = 0; i < 16; i++) {
                        int packed = m.get(BYTE, quantAt(w, r, b, i)) & 0xFF;
                        sumi += ((packed & 0x0F) - 8) * x.quants[b * 32 + i]
                                + ((packed >>> 4) - 8) * x.quants[b * 32 + i + 16];
                    }
                    sum += sumi * (d * x.scales[b]);
                }
                return sum;
            }
            case Q4_1 -> {
                return LegacyQuantBlocks.dotQ4_1(m, base, x, n / w.type().blockSize());
            }
            case Q5_0 -> {
                return LegacyQuantBlocks.dotQ5_0(m, base, x, n / w.type().blockSize());
            }
            case Q5_1 -> {
                return LegacyQuantBlocks.dotQ5_1(m, base, x, n / w.type().blockSize());
            }
            case Q2_K -> {
                return KQuantBlocks.dotQ2_K(m, base, x, n / w.type().blockSize());
            }
            case Q3_K -> {
                return KQuantBlocks.dotQ3_K(m, base, x, n / w.type().blockSize());
            }
            case Q4_K -> {
                return KQuantBlocks.dotQ4_K(m, base, x, n / w.type().blockSize());
            }
            case Q5_K -> {
                return KQuantBlocks.dotQ5_K(m, base, x, n / w.type().blockSize());
            }
            case Q6_K -> {
                return KQuantBlocks.dotQ6_K(m, base, x, n / w.type().blockSize());
            }
            default -> throw new UnsupportedOperationException("no kernels for " + w.type() + " weights (" + w.name() + ")");
        }
    }

    @Override
    public void dequantizeRow(WeightMatrix w, int row, float[] out, int offset) {
        boolean kTiles = w.layout() == WeightMatrix.Layout.TILES && TiledKQuants.supports(w.type());
        MemorySegment m = kTiles ? untiled(w, row) : w.data(); // tiled K-quants: one row back in ggml's blocks
        long base = kTiles ? 0 : w.layout() == WeightMatrix.Layout.ROWS ? w.rowOffset(row) : -1; // tiled: see scaleAt, quantAt
        int n = w.cols();
        switch (w.type()) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out[offset + i] = m.get(F32_LAYOUT, base + 4L * i);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[offset + i] = Float.float16ToFloat(m.get(F16_LAYOUT, base + 2L * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[offset + i] = Bf16.toFloat(m.get(F16_LAYOUT, base + 2L * i));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    float d = Float.float16ToFloat(m.get(F16_LAYOUT, scaleAt(w, row, b)));
                    for (int i = 0; i < 32; i++) {
                        out[offset + b * 32 + i] = m.get(BYTE, quantAt(w, row, b, i)) * d;
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    float d = Float.float16ToFloat(m.get(F16_LAYOUT, scaleAt(w, row, b)));
                    for (int i = 0; i < 16; i++) {
                        int packed = m.get(BYTE, quantAt(w, row, b, i)) & 0xFF;
                        out[offset + b * 32 + i] = ((packed & 0x0F) - 8) * d;
                        out[offset + b * 32 + i + 16] = ((packed >>> 4) - 8) * d;
                    }
                }
            }
            case Q4_1 -> LegacyQuantBlocks.dequantizeQ4_1(m, base, out, offset, n / w.type().blockSize());
            case Q5_0 -> LegacyQuantBlocks.dequantizeQ5_0(m, base, out, offset, n / w.type().blockSize());
            case Q5_1 -> LegacyQuantBlocks.dequantizeQ5_1(m, base, out, offset, n / w.type().blockSize());
            case Q2_K -> KQuantBlocks.dequantizeQ2_K(m, base, out, offset, n / w.type().blockSize());
            case Q3_K -> KQuantBlocks.dequantizeQ3_K(m, base, out, offset, n / w.type().blockSize());
            case Q4_K -> KQuantBlocks.dequantizeQ4_K(m, base, out, offset, n / w.type().blockSize());
            case Q5_K -> KQuantBlocks.dequantizeQ5_K(m, base, out, offset, n / w.type().blockSize());
            case Q6_K -> KQuantBlocks.dequantizeQ6_K(m, base, out, offset, n / w.type().blockSize());
            default -> throw new UnsupportedOperationException("no kernels for " + w.type() + " weights (" + w.name() + ")");
        }
    }

    /** A per-thread buffer for {@link #untiled}, and a segment over it (made once, so decoding allocates nothing). */
    private record UntiledRow(byte[] bytes, MemorySegment segment) {
        UntiledRow(byte[] bytes) {
            this(bytes, MemorySegment.ofArray(bytes));
        }
    }

    private static final ThreadLocal<UntiledRow> UNTILED_ROW = ThreadLocal.withInitial(() -> new UntiledRow(new byte[0]));

    /** Row {@code r} of a tiled Q4_K, Q5_K or Q6_K matrix in ggml's layout at offset 0 of a per-thread buffer. */
    private static MemorySegment untiled(WeightMatrix w, int r) {
        UntiledRow row = UNTILED_ROW.get();
        if (row.bytes().length < w.rowBytes()) {
            row = new UntiledRow(new byte[(int) w.rowBytes()]);
            UNTILED_ROW.set(row);
        }
        TiledKQuants.untileRow(w, r, row.bytes());
        return row.segment();
    }

    /** Offset of the F16 scale of block {@code b} of row {@code r} (Q8_0, Q4_0), in either layout. */
    private static long scaleAt(WeightMatrix w, int r, int b) {
        return w.layout() == WeightMatrix.Layout.TILES
                ? TileLayout.scaleOffset(w, r, b)
                : w.rowOffset(r) + (long) w.type().bytesPerBlock() * b;
    }

    /** Offset of quant byte {@code j} of block {@code b} of row {@code r} (Q8_0, Q4_0), in either layout. */
    private static long quantAt(WeightMatrix w, int r, int b, int j) {
        return w.layout() == WeightMatrix.Layout.TILES ? TileLayout.quantOffset(w, r, b, j) : scaleAt(w, r, b) + 2 + j;
    }

    @Override
    public float dot(float[] a, int aOffset, float[] b, int bOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    @Override
    public float dotF16(MemorySegment f16, long byteOffset, float[] x, int xOffset, int n) {
        int whole = n - n % lanes();
        float sum = dotF16InLanes(f16, byteOffset, x, xOffset, whole, lanes());
        for (int i = whole; i < n; i++) { // the tail in float, as the vector kernel adds it
            sum += Float.float16ToFloat(f16.get(F16_LAYOUT, byteOffset + 2L * i)) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public float dotF16Unrolled(MemorySegment f16, long byteOffset, float[] x, int xOffset, int n) {
        int step = 4 * lanes();
        int whole = n - n % step;
        double sum = dotF16InLanes(f16, byteOffset, x, xOffset, whole, step);
        for (int i = whole; i < n; i++) { // the tail in double, as ggml adds it
            sum += Float.float16ToFloat(f16.get(F16_LAYOUT, byteOffset + 2L * i)) * x[xOffset + i];
        }
        return (float) sum;
    }

    /** The first {@code n} products (a multiple of {@code count}) in {@code count} fused sums by index modulo count, summed as {@link #sumRows}. */
    private float dotF16InLanes(MemorySegment f16, long byteOffset, float[] x, int xOffset, int n, int count) {
        float[] partial = new float[count];
        for (int i = 0; i < n; i++) {
            partial[i % count] = Math.fma(Float.float16ToFloat(f16.get(F16_LAYOUT, byteOffset + 2L * i)), x[xOffset + i], partial[i % count]);
        }
        return sumColumn(partial, 0, 1, count);
    }

    @Override
    public void axpyF16(float a, MemorySegment f16, long byteOffset, float[] y, int yOffset, int n) {
        for (int i = 0; i < n; i++) {
            y[yOffset + i] = Math.fma(a, Float.float16ToFloat(f16.get(F16_LAYOUT, byteOffset + 2L * i)), y[yOffset + i]);
        }
    }

    @Override
    public void dotF16x4(MemorySegment f16, long byteOffset, float[] x0, float[] x1, float[] x2, float[] x3, int xOffset, int n,
            float[] out, int outOffset) {
        out[outOffset] = dotF16(f16, byteOffset, x0, xOffset, n);
        out[outOffset + 1] = dotF16(f16, byteOffset, x1, xOffset, n);
        out[outOffset + 2] = dotF16(f16, byteOffset, x2, xOffset, n);
        out[outOffset + 3] = dotF16(f16, byteOffset, x3, xOffset, n);
    }

    @Override
    public void axpyF16x4(MemorySegment f16, long byteOffset, int n, float a0, float a1, float a2, float a3, float[] y, int y0,
            int y1, int y2, int y3) {
        axpyF16(a0, f16, byteOffset, y, y0, n);
        axpyF16(a1, f16, byteOffset, y, y1, n);
        axpyF16(a2, f16, byteOffset, y, y2, n);
        axpyF16(a3, f16, byteOffset, y, y3, n);
    }

    @Override
    public float dotF32(MemorySegment f32, long byteOffset, float[] x, int xOffset, int n) {
        float sum = 0f;
        for (int i = 0; i < n; i++) {
            sum += f32.get(F32_LAYOUT, byteOffset + 4L * i) * x[xOffset + i];
        }
        return sum;
    }

    @Override
    public void axpyF32(float a, MemorySegment f32, long byteOffset, float[] y, int yOffset, int n) {
        for (int i = 0; i < n; i++) {
            y[yOffset + i] = Math.fma(a, f32.get(F32_LAYOUT, byteOffset + 4L * i), y[yOffset + i]);
        }
    }

    @Override
    public float dotQ8_0(MemorySegment q8, long byteOffset, PreparedVector x, int xOffset, int n) {
        float sum = 0f;
        for (int b = 0; b < n / PreparedVector.Q8_BLOCK; b++) {
            long block = byteOffset + GgmlType.Q8_0.bytesPerBlock() * (long) b;
            int at = xOffset + b * PreparedVector.Q8_BLOCK;
            int sumi = 0;
            for (int i = 0; i < PreparedVector.Q8_BLOCK; i++) {
                sumi += q8.get(BYTE, block + 2 + i) * x.quants[at + i];
            }
            sum += sumi * (Float.float16ToFloat(q8.get(F16_LAYOUT, block)) * x.scales[at / PreparedVector.Q8_BLOCK]);
        }
        return sum;
    }

    @Override
    public void axpyQ8_0(float a, MemorySegment q8, long byteOffset, float[] y, int yOffset, int n) {
        for (int b = 0; b < n / PreparedVector.Q8_BLOCK; b++) {
            long block = byteOffset + GgmlType.Q8_0.bytesPerBlock() * (long) b;
            float d = Float.float16ToFloat(q8.get(F16_LAYOUT, block));
            for (int i = 0; i < PreparedVector.Q8_BLOCK; i++) {
                int at = yOffset + b * PreparedVector.Q8_BLOCK + i;
                y[at] = Math.fma(a, d * q8.get(BYTE, block + 2 + i), y[at]);
            }
        }
    }

    @Override
    public int lanes() {
        return 16;
    }

    @Override
    public void sumRows(float[] rows, int offset, int count, int n, float[] out, int outOffset) {
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = sumColumn(rows, offset + i, n, count);
        }
    }

    /** {@code p[offset + r * stride]} for {@code r < count}, summed as {@link Kernels#sumRows} sums. */
    final float sumColumn(float[] p, int offset, int stride, int count) {
        int lanes = lanes();
        float[] v = new float[lanes];
        for (int l = 0; l < lanes; l++) {
            v[l] = count == lanes ? p[offset + l * stride]
                    : (p[offset + l * stride] + p[offset + (2 * lanes + l) * stride])
                            + (p[offset + (lanes + l) * stride] + p[offset + (3 * lanes + l) * stride]);
        }
        for (int half = lanes / 2; half > 0; half /= 2) {
            for (int l = 0; l < half; l++) {
                v[l] += v[l + half];
            }
        }
        return v[0];
    }

    @Override
    public void storeF16(float[] x, int xOffset, MemorySegment dst, long byteOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst.set(F16_LAYOUT, byteOffset + 2L * i, Float.floatToFloat16(x[xOffset + i]));
        }
    }

    @Override
    public void rmsNorm(float[] x, int xOffset, float[] weight, float[] out, int outOffset, int n, float eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float v = x[xOffset + i];
            sum += v * v;
        }
        float mean = (float) (sum / n);
        float scale = 1f / (float) Math.sqrt(mean + eps); // 1.0f / sqrtf(mean + eps), rounded as ggml rounds it
        for (int i = 0; i < n; i++) {
            out[outOffset + i] = (x[xOffset + i] * scale) * weight[i];
        }
    }

    /**
     * As ggml's softmax: whole chunks of {@link #lanes()} through ggml's vector exp, each chunk summed
     * by halving into a float and the chunks' sums added in double; the tail through libm's exp.
     */
    @Override
    public void softmax(float[] x, int offset, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x[offset + i]);
        }
        int lanes = lanes();
        float[] chunk = new float[lanes];
        double sum = 0;
        int i = 0;
        for (; i + lanes <= n; i += lanes) {
            for (int l = 0; l < lanes; l++) {
                chunk[l] = x[offset + i + l] = GgmlExp.exp(x[offset + i + l] - max);
            }
            sum += sumColumn(chunk, 0, 1, lanes);
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[offset + i] - max);
            x[offset + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (i = 0; i < n; i++) {
            x[offset + i] *= inv;
        }
    }

    /** As ggml: whole chunks of {@link #lanes()} through ggml's vector exp, the tail through libm's. */
    @Override
    public void swiGlu(float[] gate, float[] up, int n) {
        int whole = n - n % lanes();
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            float e = i < whole ? GgmlExp.exp(-g) : (float) Math.exp(-g);
            gate[i] = g / (1f + e) * up[i];
        }
    }

    @Override
    public void geGlu(float[] gate, float[] up, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            float gelu;
            if (g <= -10f) {
                gelu = 0f;
            } else if (g >= 10f) {
                gelu = g;
            } else {
                gelu = roundToF16(gelu(roundToF16(g)));
            }
            gate[i] = gelu * up[i];
        }
    }

    /** GELU, tanh approximation, in float as ggml writes it. */
    static float gelu(float x) {
        final float sqrt2OverPi = 0.79788456080286535587989211986876f;
        final float coefA = 0.044715f;
        return 0.5f * x * (1.0f + (float) Math.tanh(sqrt2OverPi * x * (1.0f + coefA * x * x)));
    }

    static float roundToF16(float x) {
        return Float.float16ToFloat(Float.floatToFloat16(x));
    }

    @Override
    public void add(float[] y, float[] x, int n) {
        for (int i = 0; i < n; i++) {
            y[i] += x[i];
        }
    }

    @Override
    public void scale(float[] x, int offset, int n, float s) {
        for (int i = 0; i < n; i++) {
            x[offset + i] *= s;
        }
    }
}
