package dev.inferj.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One metadata value with its GGUF type. Scalars are held as {@link Long} (every integer type;
 * UINT64 as its bit pattern), {@link Double} (FLOAT32 widened exactly, FLOAT64), {@link Boolean}
 * or {@link String}. Arrays are held as {@code long[]}, {@code float[]}, {@code double[]},
 * {@code boolean[]}, {@code String[]} or, for arrays of arrays, {@code GgufValue[]};
 * {@link #elementType()} says which GGUF type their elements have.
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        if ((type == GgufValueType.ARRAY) != (elementType != null)) {
            throw new IllegalArgumentException("element type goes with arrays only");
        }
    }

    public static GgufValue ofString(String s) {
        return new GgufValue(GgufValueType.STRING, null, s);
    }

    public static GgufValue ofUInt32(long v) {
        return new GgufValue(GgufValueType.UINT32, null, v);
    }

    public static GgufValue ofInt(GgufValueType integerType, long v) {
        return new GgufValue(integerType, null, v);
    }

    public static GgufValue ofFloat32(float v) {
        return new GgufValue(GgufValueType.FLOAT32, null, (double) v);
    }

    public static GgufValue ofBool(boolean v) {
        return new GgufValue(GgufValueType.BOOL, null, v);
    }

    public static GgufValue ofStrings(String... values) {
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, values);
    }

    public static GgufValue ofFloats(float... values) {
        return new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, values);
    }

    public static GgufValue ofInts(GgufValueType integerType, long... values) {
        return new GgufValue(GgufValueType.ARRAY, integerType, values);
    }

    /** Number of elements of an array value. */
    public int arrayLength() {
        return switch (value) {
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            case String[] a -> a.length;
            case GgufValue[] a -> a.length;
            default -> throw new IllegalStateException(type + " is not an array");
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufValue v && type == v.type && elementType == v.elementType
                && Objects.deepEquals(value, v.value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, elementType, Arrays.deepHashCode(new Object[] {value}));
    }

    @Override
    public String toString() {
        if (type != GgufValueType.ARRAY) {
            return type == GgufValueType.STRING ? '"' + (String) value + '"' : String.valueOf(value);
        }
        int n = arrayLength();
        String head = switch (value) {
            case long[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            case float[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            case double[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            case boolean[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            case String[] a -> Arrays.toString(Arrays.copyOf(a, Math.min(n, 8)));
            default -> Arrays.toString(Arrays.copyOf((GgufValue[]) value, Math.min(n, 8)));
        };
        return elementType + "[" + n + "] " + (n > 8 ? head.substring(0, head.length() - 1) + ", ...]" : head);
    }
}
