package dev.inferj.gguf;

import dev.inferj.GgufFormatException;
import dev.inferj.ggml.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a GGUF header from a segment, trusting nothing: every count, length and offset is
 * checked against the bytes that remain before it sizes an allocation or a slice, so a
 * hostile file costs at most its own size in memory and fails with a {@link GgufFormatException}
 * that names the file, the offset and what was wrong.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    /** Deeper array nesting than this is refused; real files nest at most one level. */
    static final int MAX_ARRAY_DEPTH = 8;
    /** ggml tensors have at most four dimensions. */
    static final int MAX_DIMS = 4;
    static final int MAX_ALIGNMENT = 1 << 16;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String source;
    private final Path path;
    private final MemorySegment in;
    private final long size;
    private long pos;

    private GgufParser(String source, Path path, MemorySegment in) {
        this.source = source;
        this.path = path;
        this.in = in;
        this.size = in.byteSize();
    }

    /** Parses {@code contents}, the bytes of the file at {@code path} (null when they come from elsewhere). */
    static GgufFile parse(String source, Path path, MemorySegment contents, Arena arena) {
        return new GgufParser(source, path, contents).parse(arena);
    }

    private GgufFile parse(Arena arena) {
        if (size < 24) {
            throw fail(0, "file of " + size + " bytes is too short for a GGUF header");
        }
        int magic = in.get(INT, 0);
        if (magic != MAGIC) {
            throw fail(0, String.format("not a GGUF file (magic 0x%08x)", magic));
        }
        pos = 4;
        int version = in.get(INT, pos);
        if (Integer.reverseBytes(version) == 2 || Integer.reverseBytes(version) == 3) {
            throw fail(pos, "big-endian GGUF files are not supported");
        }
        if (version != 2 && version != 3) {
            throw fail(pos, "GGUF version " + Integer.toUnsignedString(version) + " is not supported (2 and 3 are)");
        }
        pos += 4;
        long tensorCount = readCount("tensor count", 8 + 4 + 8 + 4 + 8);
        long kvCount = readCount("metadata count", 8 + 4 + 1);

        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = pos;
            String key = readName("metadata key");
            long typeAt = pos;
            GgufValueType type = readValueType("metadata key " + key);
            GgufValue value = readValue(key, type, typeAt, 0);
            if (metadata.putIfAbsent(key, value) != null) {
                throw fail(at, "metadata key " + key + " appears twice");
            }
        }

        int alignment = alignment(metadata);
        List<GgufTensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, 1 << 16));
        Map<String, GgufTensorInfo> byName = new HashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            GgufTensorInfo t = readTensorInfo(alignment);
            if (byName.putIfAbsent(t.name(), t) != null) {
                throw fail(pos, "tensor " + t.name() + " appears twice");
            }
            tensors.add(t);
        }
        long dataStart = alignUp(pos, alignment);
        if (dataStart > size && !tensors.isEmpty()) {
            throw fail(pos, "data section starts at " + dataStart + " past end of file " + size);
        }
        checkTensorExtents(tensors, dataStart);
        return new GgufFile(source, path, arena, in, version, metadata, tensors, byName, dataStart, alignment);
    }

    private int alignment(Map<String, GgufValue> metadata) {
        GgufValue v = metadata.get(GgufFile.ALIGNMENT_KEY);
        if (v == null) {
            return GgufFile.DEFAULT_ALIGNMENT;
        }
        if (v.type() != GgufValueType.UINT32 && v.type() != GgufValueType.INT32 && v.type() != GgufValueType.UINT64) {
            throw new GgufFormatException(source + ": " + GgufFile.ALIGNMENT_KEY + " should be UINT32 but is " + v.type());
        }
        long a = (Long) v.value();
        if (a < 1 || a > MAX_ALIGNMENT || Long.bitCount(a) != 1) {
            throw new GgufFormatException(source + ": " + GgufFile.ALIGNMENT_KEY + " = " + a
                    + " is not a power of two between 1 and " + MAX_ALIGNMENT);
        }
        return (int) a;
    }

    private GgufTensorInfo readTensorInfo(int alignment) {
        long at = pos;
        String name = readName("tensor name");
        long rank = Integer.toUnsignedLong(readInt("tensor " + name + " dimension count"));
        if (rank < 1 || rank > MAX_DIMS) {
            throw fail(at, "tensor " + name + " has " + rank + " dimensions (1 to " + MAX_DIMS + " allowed)");
        }
        long[] dims = new long[(int) rank];
        long elements = 1;
        for (int d = 0; d < rank; d++) {
            dims[d] = readLong("tensor " + name + " dimension " + d);
            if (dims[d] <= 0) {
                throw fail(pos - 8, "tensor " + name + " dimension " + d + " is " + Long.toUnsignedString(dims[d]));
            }
            elements = multiply(elements, dims[d], name);
        }
        int typeId = readInt("tensor " + name + " type");
        GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
        if (type == null) {
            throw fail(pos - 4, "tensor " + name + " has unknown type id " + Integer.toUnsignedString(typeId));
        }
        if (dims[0] % type.blockSize() != 0) {
            throw fail(at, "tensor " + name + " row length " + dims[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        // bytes must fit in a long: elements / blockSize * bytesPerBlock
        multiply(elements / type.blockSize(), type.bytesPerBlock(), name);
        long offset = readLong("tensor " + name + " offset");
        if (offset < 0 || offset > size) {
            throw fail(pos - 8, "tensor " + name + " offset " + Long.toUnsignedString(offset)
                    + " is past end of file " + size);
        }
        if (offset % alignment != 0) {
            throw fail(pos - 8, "tensor " + name + " offset " + offset + " is not a multiple of the alignment " + alignment);
        }
        return new GgufTensorInfo(name, type, dims, offset);
    }

    private void checkTensorExtents(List<GgufTensorInfo> tensors, long dataStart) {
        long dataSize = size - Math.min(dataStart, size);
        GgufTensorInfo[] sorted = tensors.toArray(GgufTensorInfo[]::new);
        Arrays.sort(sorted, Comparator.comparingLong(GgufTensorInfo::offset));
        long previousEnd = 0;
        String previous = null;
        for (GgufTensorInfo t : sorted) {
            long end = t.offset() + t.byteSize(); // both < 2^63 and checked, so no overflow past 2^64
            if (end < 0 || end > dataSize) {
                throw new GgufFormatException(source + ": tensor " + t.name() + " data ends at "
                        + (end < 0 ? Long.toUnsignedString(end) : String.valueOf(dataStart + end))
                        + " past end of file " + size);
            }
            if (t.offset() < previousEnd) {
                throw new GgufFormatException(source + ": tensor " + t.name() + " at data offset " + t.offset()
                        + " overlaps tensor " + previous + " which ends at " + previousEnd);
            }
            previousEnd = end;
            previous = t.name();
        }
    }

    private GgufValue readValue(String key, GgufValueType type, long typeAt, int depth) {
        String what = "metadata key " + key;
        return switch (type) {
            case UINT8 -> GgufValue.ofInt(type, readByte(what) & 0xFFL);
            case INT8 -> GgufValue.ofInt(type, readByte(what));
            case UINT16 -> GgufValue.ofInt(type, readShort(what) & 0xFFFFL);
            case INT16 -> GgufValue.ofInt(type, readShort(what));
            case UINT32 -> GgufValue.ofInt(type, Integer.toUnsignedLong(readInt(what)));
            case INT32 -> GgufValue.ofInt(type, readInt(what));
            case UINT64, INT64 -> GgufValue.ofInt(type, readLong(what));
            case FLOAT32 -> new GgufValue(type, null, (double) Float.intBitsToFloat(readInt(what)));
            case FLOAT64 -> new GgufValue(type, null, Double.longBitsToDouble(readLong(what)));
            case BOOL -> new GgufValue(type, null, readBool(what));
            case STRING -> GgufValue.ofString(readString(what));
            case ARRAY -> readArray(key, typeAt, depth);
        };
    }

    private GgufValue readArray(String key, long typeAt, int depth) {
        String what = "metadata key " + key;
        if (depth >= MAX_ARRAY_DEPTH) {
            throw fail(typeAt, what + ": arrays nested more than " + MAX_ARRAY_DEPTH + " deep");
        }
        GgufValueType element = readValueType(what + " array element");
        long n = readCount(what + " array length", element.minBytes);
        int count = (int) n;
        Object values = switch (element) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                long[] a = new long[count];
                for (int i = 0; i < count; i++) {
                    a[i] = (Long) readValue(key, element, typeAt, depth + 1).value();
                }
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[count];
                for (int i = 0; i < count; i++) {
                    a[i] = Float.intBitsToFloat(readInt(what));
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[count];
                for (int i = 0; i < count; i++) {
                    a[i] = Double.longBitsToDouble(readLong(what));
                }
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[count];
                for (int i = 0; i < count; i++) {
                    a[i] = readBool(what);
                }
                yield a;
            }
            case STRING -> {
                String[] a = new String[count];
                for (int i = 0; i < count; i++) {
                    a[i] = readString(what + "[" + i + "]");
                }
                yield a;
            }
            case ARRAY -> {
                GgufValue[] a = new GgufValue[count];
                for (int i = 0; i < count; i++) {
                    a[i] = readArray(key, pos, depth + 1);
                }
                yield a;
            }
        };
        return new GgufValue(GgufValueType.ARRAY, element, values);
    }

    private GgufValueType readValueType(String what) {
        long at = pos;
        int id = readInt(what + " type");
        GgufValueType t = GgufValueType.byId(Integer.toUnsignedLong(id));
        if (t == null) {
            throw fail(at, what + " has unknown value type " + Integer.toUnsignedString(id));
        }
        return t;
    }

    /** A 64-bit count of items each taking at least {@code minBytes}, checked against the bytes left. */
    private long readCount(String what, int minBytes) {
        long at = pos;
        long n = readLong(what);
        long left = size - pos;
        if (n < 0 || n > left / minBytes || n > Integer.MAX_VALUE - 8) {
            throw fail(at, what + " " + Long.toUnsignedString(n) + " cannot fit in the " + left + " bytes left");
        }
        return n;
    }

    /** A string value, decoded as llama.cpp takes it: bytes that are not UTF-8 become U+FFFD. */
    private String readString(String what) {
        return new String(readStringBytes(what), StandardCharsets.UTF_8);
    }

    /** A key or tensor name, which the format requires to be UTF-8: anything else is refused. */
    private String readName(String what) {
        long at = pos;
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(readStringBytes(what))).toString();
        } catch (CharacterCodingException e) {
            throw fail(at, what + " is not UTF-8");
        }
    }

    private byte[] readStringBytes(String what) {
        long at = pos;
        long len = readLong(what + " length");
        if (len < 0 || len > size - pos || len > Integer.MAX_VALUE - 8) {
            throw fail(at, what + " length " + Long.toUnsignedString(len) + " runs past end of file " + size);
        }
        byte[] bytes = in.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        return bytes;
    }

    private boolean readBool(String what) {
        byte b = readByte(what);
        if (b != 0 && b != 1) {
            throw fail(pos - 1, what + ": boolean byte is " + b);
        }
        return b == 1;
    }

    private byte readByte(String what) {
        need(1, what);
        return in.get(ValueLayout.JAVA_BYTE, pos++);
    }

    private short readShort(String what) {
        need(2, what);
        short v = in.get(SHORT, pos);
        pos += 2;
        return v;
    }

    private int readInt(String what) {
        need(4, what);
        int v = in.get(INT, pos);
        pos += 4;
        return v;
    }

    private long readLong(String what) {
        need(8, what);
        long v = in.get(LONG, pos);
        pos += 8;
        return v;
    }

    private void need(long bytes, String what) {
        if (size - pos < bytes) {
            throw fail(pos, "file ends while reading " + what);
        }
    }

    private long multiply(long a, long b, String tensor) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new GgufFormatException(source + ": tensor " + tensor + " size overflows 64 bits");
        }
    }

    private static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private GgufFormatException fail(long offset, String message) {
        return new GgufFormatException(source + ": at offset " + offset + ": " + message);
    }
}
