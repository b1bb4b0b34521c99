package dev.inferj.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.InferjException;
import dev.inferj.ggml.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** The exact bytes the writer lays down, and what it refuses to write. */
class GgufWriterTest {

    @Test
    void writesTheLayoutOfTheSpecification() {
        byte[] file = new GgufWriter()
                .put("a", GgufValue.ofInt(GgufValueType.UINT8, 7))
                .addTensor("t", GgmlType.F32, new long[] {1}, new byte[] {1, 2, 3, 4})
                .toByteArray();

        ByteBuffer expected = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        expected.put("GGUF".getBytes()).putInt(3).putLong(1).putLong(1);     // magic, version, tensors, keys
        expected.putLong(1).put((byte) 'a').putInt(0).put((byte) 7);         // "a" UINT8 7
        expected.putLong(1).put((byte) 't').putInt(1).putLong(1).putInt(0).putLong(0); // "t" rank 1 [1] F32 @0
        expected.position(96).put(new byte[] {1, 2, 3, 4});                  // data at the next multiple of 32
        assertArrayEquals(expected.array(), file);                           // and zero padding to 128
    }

    @Test
    void aFileWithoutTensorsEndsAfterItsLastKey() {
        byte[] file = new GgufWriter().put("k", GgufValue.ofBool(true)).toByteArray();
        assertEquals(24 + 8 + 1 + 4 + 1, file.length);
    }

    @Test
    void writesVersion2OnRequest() {
        byte[] file = new GgufWriter().version(2).toByteArray();
        assertEquals(2, ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).getInt(4));
        assertEquals(2, GgufFile.parse("v2", MemorySegment.ofArray(file)).version());
    }

    @Test
    void honoursTheAlignmentKey() {
        GgufWriter w = new GgufWriter().put(GgufFile.ALIGNMENT_KEY, GgufValue.ofUInt32(256))
                .addTensor("a", GgmlType.F16, new long[] {3}, new byte[6])
                .addTensor("b", GgmlType.F16, new long[] {3}, new byte[6]);
        GgufFile f = GgufFile.parse("aligned", MemorySegment.ofArray(w.toByteArray()));
        assertEquals(256, f.alignment());
        assertEquals(256, f.dataStart());
        assertEquals(List.of(0L, 256L), f.tensors().stream().map(GgufTensorInfo::offset).toList());
        assertEquals(768, w.byteSize());
    }

    @Test
    void replaceKeepsTheKeyInPlaceAndRemoveDropsIt() {
        GgufWriter w = new GgufWriter()
                .put("a", GgufValue.ofUInt32(1)).put("b", GgufValue.ofUInt32(2)).put("c", GgufValue.ofUInt32(3))
                .replace("a", GgufValue.ofString("one")).remove("b");
        GgufFile f = GgufFile.parse("edited", MemorySegment.ofArray(w.toByteArray()));
        assertEquals(List.of(Map.entry("a", GgufValue.ofString("one")), Map.entry("c", GgufValue.ofUInt32(3))),
                List.copyOf(f.metadata().entrySet()));
    }

    @Test
    void removeTensorDropsItAndRepacksTheRest() {
        GgufWriter w = new GgufWriter()
                .addTensor("a", GgmlType.F32, new long[] {8}, new byte[32])
                .addTensor("b", GgmlType.F32, new long[] {8}, new byte[32])
                .removeTensor("a");
        GgufFile f = GgufFile.parse("edited", MemorySegment.ofArray(w.toByteArray()));
        assertEquals(List.of(new GgufTensorInfo("b", GgmlType.F32, new long[] {8}, 0)), f.tensors());
    }

    @Test
    void streamsTensorsLargerThanOneWriteChunk(@TempDir Path dir) throws IOException {
        long blocks = (1L << 26) / 34 + 3; // Q8_0 blocks reaching past the 64 MiB write chunk
        long size = blocks * 34;
        Path out = dir.resolve("big.gguf");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(size);
            for (long i = 0; i < size; i += 4096) {
                data.set(ValueLayout.JAVA_BYTE, i, (byte) (i >>> 12));
            }
            data.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 0x5A);
            new GgufWriter().addTensor("big", GgmlType.Q8_0, new long[] {blocks * 32}, data).write(out);
            try (GgufFile f = GgufFile.open(out)) {
                assertEquals(-1, f.data(f.tensor("big")).mismatch(data));
            }
        }
    }

    @Test
    void aSourceTensorIsFilledInOrderInChunksOfWholeRowsAndWrittenAsItsBytes(@TempDir Path dir) throws IOException {
        int cols = 4096;
        long rowBytes = GgmlType.Q8_0.byteSize(cols);      // 4352
        long rows = (1L << 26) / rowBytes * 2 + 5;         // two full 64 MiB chunks and a few rows more
        long size = rows * rowBytes;
        List<long[]> chunks = new java.util.ArrayList<>();
        GgufWriter.TensorSource source = (offset, chunk) -> {
            chunks.add(new long[] {offset, chunk.byteSize()});
            for (long i = 0; i < chunk.byteSize(); i++) {
                chunk.set(ValueLayout.JAVA_BYTE, i, pattern(offset + i));
            }
        };
        Path out = dir.resolve("streamed.gguf");
        new GgufWriter().addTensor("small", GgmlType.F32, new long[] {2}, new byte[8])
                .addTensor("big", GgmlType.Q8_0, new long[] {cols, rows}, source)
                .write(out);

        long done = 0;
        for (long[] c : chunks) {
            assertEquals(done, c[0], "chunks come in order, without gaps");
            assertEquals(0, c[1] % rowBytes, "a chunk holds whole rows");
            assertTrue(c[1] <= 1L << 26, "a chunk is at most 64 MiB");
            done += c[1];
        }
        assertEquals(size, done);
        assertEquals(3, chunks.size());
        try (GgufFile f = GgufFile.open(out)) {
            MemorySegment data = f.data(f.tensor("big"));
            assertEquals(size, data.byteSize());
            for (long i = 0; i < size; i += 4093) {
                assertEquals(pattern(i), data.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            }
            assertEquals(pattern(size - 1), data.get(ValueLayout.JAVA_BYTE, size - 1));
        }
    }

    @Test
    void aSourceTensorGivesTheSameFileAsItsBytesInASegment(@TempDir Path dir) throws IOException {
        byte[] bytes = new byte[34 * 6];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = pattern(i);
        }
        GgufWriter fromSegment = new GgufWriter().put("k", GgufValue.ofUInt32(1))
                .addTensor("t", GgmlType.Q8_0, new long[] {64, 3}, bytes);
        GgufWriter fromSource = new GgufWriter().put("k", GgufValue.ofUInt32(1))
                .addTensor("t", GgmlType.Q8_0, new long[] {64, 3},
                        (offset, chunk) -> MemorySegment.copy(bytes, (int) offset, chunk, ValueLayout.JAVA_BYTE, 0,
                                (int) chunk.byteSize()));
        assertArrayEquals(fromSegment.toByteArray(), fromSource.toByteArray());
        assertEquals(fromSegment.byteSize(), fromSource.byteSize());
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        fromSegment.write(a);
        fromSource.write(b);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void aFailingSourceLeavesNoFileBehind(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("model.gguf");
        GgufWriter w = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {8}, (offset, chunk) -> {
            throw new IllegalStateException("no weights today");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.write(out));
        assertEquals("no weights today", e.getMessage());
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList());
        }
    }

    private static byte pattern(long i) {
        return (byte) (i * 31 + (i >>> 13));
    }

    @Test
    void twoWritersOfOneFileDoNotShareTheirTemporaryFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.gguf");
        byte[] a = new byte[1 << 20];
        byte[] b = new byte[1 << 20];
        Arrays.fill(a, (byte) 0x3C);
        Arrays.fill(b, (byte) 0x40);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(2)) {
            var first = pool.submit(() -> new GgufWriter().addTensor("w", GgmlType.F16, new long[] {a.length / 2}, a).write(file));
            var second = pool.submit(() -> new GgufWriter().addTensor("w", GgmlType.F16, new long[] {b.length / 2}, b).write(file));
            first.get();
            second.get();
        }
        try (GgufFile f = GgufFile.open(file)) {
            MemorySegment w = f.data(f.tensor("w"));
            assertTrue(w.mismatch(MemorySegment.ofArray(a)) == -1 || w.mismatch(MemorySegment.ofArray(b)) == -1,
                    "the file is one writer's whole output");
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(file), left.toList(), "no temporary file left behind");
        }
    }

    @Test
    void rewritesTheFileItsTensorsAreMappedFrom(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("model.gguf");
        byte[] weights = new byte[64];
        Arrays.fill(weights, (byte) 0x3C);
        new GgufWriter().addTensor("w", GgmlType.F16, new long[] {32}, weights).write(file);
        try (GgufFile f = GgufFile.open(file)) {
            GgufWriter.copyOf(f).put("general.name", GgufValue.ofString("edited")).write(file);
        }
        try (GgufFile f = GgufFile.open(file)) {
            assertEquals("edited", f.getString("general.name"));
            assertEquals(-1, f.data(f.tensor("w")).mismatch(MemorySegment.ofArray(weights)));
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(file), left.toList(), "no partial file left behind");
        }
    }

    @Test
    void aFailedWriteNamesThePath(@TempDir Path dir) {
        Path out = dir.resolve("missing-dir").resolve("model.gguf");
        InferjException e = assertThrows(InferjException.class, () -> new GgufWriter().write(out));
        assertTrue(e.getMessage().startsWith(out + ": cannot write"), e.getMessage());
    }

    // ---- what it refuses

    @Test
    void refusesADuplicateKey() {
        GgufWriter w = new GgufWriter().put("k", GgufValue.ofUInt32(1));
        assertRefused(() -> w.put("k", GgufValue.ofUInt32(2)), "metadata key k is already present");
    }

    @Test
    void refusesToReplaceAMissingKey() {
        assertRefused(() -> new GgufWriter().replace("k", GgufValue.ofUInt32(2)), "metadata key k is not present");
    }

    @Test
    void refusesADuplicateTensorName() {
        GgufWriter w = new GgufWriter().addTensor("t", GgmlType.F32, new long[] {1}, new byte[4]);
        assertRefused(() -> w.addTensor("t", GgmlType.F32, new long[] {1}, new byte[4]), "tensor t is already present");
    }

    @Test
    void refusesDataOfTheWrongSize() {
        assertRefused(() -> new GgufWriter().addTensor("t", GgmlType.Q8_0, new long[] {32, 2}, new byte[34]),
                "tensor t Q8_0 [32, 2] takes 68 bytes but its data has 34");
    }

    @Test
    void refusesARowLengthThatIsNotAWholeNumberOfBlocks() {
        assertRefused(() -> new GgufWriter().addTensor("t", GgmlType.Q4_0, new long[] {16, 2}, new byte[18]),
                "tensor t row length 16 is not a multiple of the Q4_0 block size 32");
    }

    @Test
    void refusesAZeroDimension() {
        assertRefused(() -> new GgufWriter().addTensor("t", GgmlType.F32, new long[] {4, 0}, new byte[0]),
                "tensor t dimension 1 is 0");
    }

    @Test
    void refusesFiveDimensions() {
        assertRefused(() -> new GgufWriter().addTensor("t", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, new byte[4]),
                "tensor t has 5 dimensions");
    }

    @Test
    void refusesDimensionsWhoseProductOverflows() {
        assertRefused(() -> new GgufWriter().addTensor("t", GgmlType.F32, new long[] {1L << 32, 1L << 32}, new byte[4]),
                "overflow 64 bits");
    }

    @Test
    void refusesAnAlignmentThatIsNotAPowerOfTwo() {
        assertRefused(() -> new GgufWriter().put(GgufFile.ALIGNMENT_KEY, GgufValue.ofUInt32(48)),
                "general.alignment = 48 is not a power of two");
    }

    @Test
    void refusesAnAlignmentThatIsNotAnInteger() {
        assertRefused(() -> new GgufWriter().put(GgufFile.ALIGNMENT_KEY, GgufValue.ofString("32")),
                "general.alignment should be UINT32 but is STRING");
    }

    @Test
    void refusesAnIntegerOutsideItsType() {
        assertRefused(() -> new GgufWriter().put("k", GgufValue.ofInt(GgufValueType.UINT8, 256)),
                "metadata key k: 256 is outside the range of UINT8");
        assertRefused(() -> new GgufWriter().put("k", GgufValue.ofInts(GgufValueType.INT16, 1, -40000)),
                "metadata key k: -40000 is outside the range of INT16");
    }

    @Test
    void refusesAFloat32ThatIsNotAFloat() {
        assertRefused(() -> new GgufWriter().put("k", new GgufValue(GgufValueType.FLOAT32, null, 0.1)),
                "metadata key k: 0.1 is not a FLOAT32 value");
    }

    @Test
    void refusesAValueHeldAsTheWrongJavaType() {
        assertRefused(() -> new GgufWriter().put("k", new GgufValue(GgufValueType.STRING, null, 3L)),
                "a STRING value must be held as String, not Long");
        assertRefused(() -> new GgufWriter().put("k", new GgufValue(GgufValueType.ARRAY, GgufValueType.UINT8, new int[1])),
                "an array of UINT8 must be held as long[], not int[]");
    }

    @Test
    void refusesALoneSurrogate() {
        assertRefused(() -> new GgufWriter().put("k", GgufValue.ofString("a\uD800b")),
                "metadata key k has an unpaired surrogate at index 1");
        assertRefused(() -> new GgufWriter().addTensor("t\uDC00", GgmlType.F32, new long[] {1}, new byte[4]),
                "unpaired surrogate");
    }

    @Test
    void refusesAScalarInAnArrayOfArrays() {
        GgufValue v = new GgufValue(GgufValueType.ARRAY, GgufValueType.ARRAY, new GgufValue[] {GgufValue.ofBool(true)});
        assertRefused(() -> new GgufWriter().put("k", v), "metadata key k[0] is a BOOL in an array of arrays");
    }

    @Test
    void refusesArraysNestedDeeperThanTheReaderAccepts() {
        GgufValue v = GgufValue.ofInts(GgufValueType.UINT8);
        for (int level = 0; level < GgufParser.MAX_ARRAY_DEPTH; level++) {
            v = new GgufValue(GgufValueType.ARRAY, GgufValueType.ARRAY, new GgufValue[] {v});
        }
        GgufValue deep = v;
        assertRefused(() -> new GgufWriter().put("k", deep), "arrays nested more than " + GgufParser.MAX_ARRAY_DEPTH + " deep");
    }

    @Test
    void refusesAnUnknownVersion() {
        assertRefused(() -> new GgufWriter().version(4), "GGUF version 4 cannot be written");
    }

    private static void assertRefused(Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message \"" + e.getMessage() + "\" should mention \"" + fragment + "\"");
    }
}
