package dev.inferj.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.inferj.ggml.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever the writer is given, the reader gives back: metadata in order, tensor directory, tensor bytes. */
class GgufRoundTripTest {
    private static final int MAX_NESTING = 3;

    @Property(tries = 500)
    void aWrittenFileReadsBackEqual(@ForAll("files") FileSpec spec) {
        byte[] file = spec.writer().toByteArray();
        GgufFile read = GgufFile.parse("written.gguf", MemorySegment.ofArray(file));

        assertEquals(spec.version, read.version());
        assertEquals(spec.metadata, List.copyOf(read.metadata().entrySet()));
        assertEquals(spec.alignment(), read.alignment());
        assertEquals(spec.tensors.size(), read.tensors().size());
        long previousEnd = 0;
        for (int i = 0; i < spec.tensors.size(); i++) {
            TensorSpec expected = spec.tensors.get(i);
            GgufTensorInfo actual = read.tensors().get(i);
            assertEquals(expected.name, actual.name());
            assertEquals(expected.type, actual.type());
            assertArrayEquals(expected.dims, actual.dims());
            assertEquals(0, actual.offset() % spec.alignment(), "aligned offset");
            assertEquals(alignUp(previousEnd, spec.alignment()), actual.offset(), "packed in order");
            assertEquals(-1, read.data(actual).mismatch(MemorySegment.ofArray(expected.data)), "tensor bytes");
            previousEnd = actual.offset() + actual.byteSize();
        }
        if (!spec.tensors.isEmpty()) {
            assertEquals(0, file.length % spec.alignment(), "the last tensor is padded to the alignment");
        }
    }

    @Property(tries = 100)
    void rewritingAReadFileReproducesItByteForByte(@ForAll("files") FileSpec spec) {
        byte[] file = spec.writer().toByteArray();
        byte[] rewritten = GgufWriter.copyOf(GgufFile.parse("written.gguf", MemorySegment.ofArray(file))).toByteArray();
        assertArrayEquals(file, rewritten);
    }

    @Property(tries = 20)
    void writingToAPathGivesTheSameBytesAsToByteArray(@ForAll("files") FileSpec spec) throws IOException {
        GgufWriter writer = spec.writer();
        Path out = Files.createTempFile("inferj-roundtrip", ".gguf");
        try {
            writer.write(out);
            assertArrayEquals(writer.toByteArray(), Files.readAllBytes(out));
            assertEquals(writer.byteSize(), Files.size(out));
        } finally {
            Files.delete(out);
        }
    }

    // ---- what a file is made of

    /** @param alignmentPut the value of {@code general.alignment} among the metadata, 0 for none (then 32) */
    record FileSpec(int version, List<Map.Entry<String, GgufValue>> metadata, List<TensorSpec> tensors, int alignmentPut) {
        GgufWriter writer() {
            GgufWriter w = new GgufWriter().version(version);
            metadata.forEach(e -> w.put(e.getKey(), e.getValue()));
            tensors.forEach(t -> w.addTensor(t.name, t.type, t.dims, t.data));
            return w;
        }

        int alignment() {
            return alignmentPut == 0 ? GgufFile.DEFAULT_ALIGNMENT : alignmentPut;
        }
    }

    record TensorSpec(String name, GgmlType type, long[] dims, byte[] data) {
        @Override
        public String toString() {
            return name + " " + type + " " + Arrays.toString(dims);
        }
    }

    @Provide
    Arbitrary<FileSpec> files() {
        Arbitrary<List<Map.Entry<String, GgufValue>>> metadata = Combinators.combine(keys(), value(MAX_NESTING))
                .as(Map::entry).list().ofMaxSize(12).uniqueElements(Map.Entry::getKey);
        Arbitrary<List<TensorSpec>> tensors = tensor().list().ofMaxSize(5).uniqueElements(TensorSpec::name);
        Arbitrary<Integer> alignment = Arbitraries.of(0, 1, 2, 8, 16, 32, 64, 256, 4096, 65536);
        Arbitrary<GgufValueType> alignmentType = Arbitraries.of(GgufValueType.UINT32, GgufValueType.INT32, GgufValueType.UINT64);
        return Combinators.combine(Arbitraries.of(2, 3), metadata, tensors, alignment, alignmentType,
                Arbitraries.integers().between(0, 12)).as((version, kvs, ts, align, alignType, where) -> {
                    List<Map.Entry<String, GgufValue>> withAlignment = new ArrayList<>(kvs);
                    if (align != 0) {
                        withAlignment.add(Math.min(where, kvs.size()),
                                Map.entry(GgufFile.ALIGNMENT_KEY, GgufValue.ofInt(alignType, align)));
                    }
                    return new FileSpec(version, List.copyOf(withAlignment), ts, align);
                });
    }

    private static Arbitrary<String> keys() {
        return Arbitraries.oneOf(Arbitraries.strings().alpha().numeric().withChars('.', '_').ofMaxLength(24), unicode())
                .filter(k -> !k.equals(GgufFile.ALIGNMENT_KEY));
    }

    /** Strings of any Unicode code points (no lone surrogates: UTF-8 cannot carry them). */
    private static Arbitrary<String> unicode() {
        Arbitrary<Integer> codePoint = Arbitraries.oneOf(
                Arbitraries.integers().between(0, 0x7F),
                Arbitraries.integers().between(0x80, 0xFFFF),
                Arbitraries.integers().between(0x1_0000, 0x10_FFFF))
                .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE);
        return codePoint.list().ofMaxSize(16).map(cps -> {
            StringBuilder sb = new StringBuilder();
            cps.forEach(sb::appendCodePoint);
            return sb.toString();
        });
    }

    private static Arbitrary<GgufValue> value(int nesting) {
        return Arbitraries.oneOf(
                Arbitraries.of(GgufValueType.values()).filter(t -> t != GgufValueType.ARRAY).flatMap(GgufRoundTripTest::scalar),
                array(nesting));
    }

    private static Arbitrary<GgufValue> scalar(GgufValueType type) {
        return switch (type) {
            case FLOAT32 -> float32s().map(GgufValue::ofFloat32);
            case FLOAT64 -> float64s().map(d -> new GgufValue(type, null, d));
            case BOOL -> Arbitraries.of(true, false).map(GgufValue::ofBool);
            case STRING -> unicode().map(GgufValue::ofString);
            case ARRAY -> throw new IllegalArgumentException();
            default -> integers(type).map(v -> GgufValue.ofInt(type, v));
        };
    }

    /** An array; with nesting left, possibly an array of arrays (each of its own element type). */
    private static Arbitrary<GgufValue> array(int nesting) {
        return Arbitraries.of(GgufValueType.values())
                .filter(t -> nesting > 1 || t != GgufValueType.ARRAY)
                .flatMap(element -> {
                    Arbitrary<?> values = switch (element) {
                        case FLOAT32 -> float32s().array(float[].class).ofMaxSize(12);
                        case FLOAT64 -> float64s().array(double[].class).ofMaxSize(12);
                        case BOOL -> Arbitraries.of(true, false).array(boolean[].class).ofMaxSize(12);
                        case STRING -> unicode().array(String[].class).ofMaxSize(8);
                        case ARRAY -> array(nesting - 1).array(GgufValue[].class).ofMaxSize(3);
                        default -> integers(element).array(long[].class).ofMaxSize(12);
                    };
                    return values.map(v -> new GgufValue(GgufValueType.ARRAY, element, v));
                });
    }

    private static Arbitrary<Long> integers(GgufValueType type) {
        return switch (type) {
            case UINT8 -> Arbitraries.longs().between(0, 0xFF);
            case INT8 -> Arbitraries.longs().between(Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> Arbitraries.longs().between(0, 0xFFFF);
            case INT16 -> Arbitraries.longs().between(Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> Arbitraries.longs().between(0, 0xFFFF_FFFFL);
            case INT32 -> Arbitraries.longs().between(Integer.MIN_VALUE, Integer.MAX_VALUE);
            default -> Arbitraries.longs(); // UINT64 as its bit pattern, INT64
        };
    }

    /** Ordinary values and arbitrary bit patterns (NaNs, infinities, subnormals, negative zero). */
    private static Arbitrary<Float> float32s() {
        return Arbitraries.oneOf(Arbitraries.floats(), Arbitraries.integers().map(Float::intBitsToFloat));
    }

    private static Arbitrary<Double> float64s() {
        return Arbitraries.oneOf(Arbitraries.doubles(), Arbitraries.longs().map(Double::longBitsToDouble));
    }

    private static Arbitrary<TensorSpec> tensor() {
        Arbitrary<GgmlType> types = Arbitraries.oneOf(
                Arbitraries.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0),
                Arbitraries.of(GgmlType.class));
        Arbitrary<long[]> dims = Arbitraries.integers().between(1, GgufParser.MAX_DIMS)
                .flatMap(rank -> Arbitraries.longs().between(1, 3).array(long[].class).ofSize(rank));
        return Combinators.combine(unicode(), types, dims, Arbitraries.integers().between(1, 5), Arbitraries.longs())
                .as((name, type, shape, rowBlocks, seed) -> {
                    // a row of whole blocks; unblocked types get rows of up to 5 * 7 elements
                    shape[0] = rowBlocks * (type.blockSize() == 1 ? 7L : type.blockSize());
                    long elements = Arrays.stream(shape).reduce(1, Math::multiplyExact);
                    byte[] data = new byte[(int) type.byteSize(elements)];
                    new Random(seed).nextBytes(data);
                    return new TensorSpec(name, type, shape, data);
                });
    }

    private static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }
}
