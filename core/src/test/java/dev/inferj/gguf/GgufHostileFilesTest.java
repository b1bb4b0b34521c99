package dev.inferj.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.inferj.GgufFormatException;
import dev.inferj.InferjException;
import dev.inferj.ggml.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed GGUF files, each made by writing a small valid file and patching a few bytes of it.
 * Every one must be refused with a {@link GgufFormatException} that names what is wrong, quickly,
 * and without allocating more than about the file's own size, whatever sizes the file claims.
 */
class GgufHostileFilesTest {
    private static final long TWO_63 = Long.MIN_VALUE;
    private static final long TWO_64_MINUS_1 = -1L;
    /** Allowance over the file size for what a refusal itself costs: the message, the stack trace. */
    private static final long ALLOCATION_SLACK = 1 << 20;
    private static final Duration TIME_LIMIT = Duration.ofSeconds(1);

    /** A small valid file whose keys and tensor names are easy to find. */
    private static GgufWriter base() {
        return new GgufWriter()
                .put("general.architecture", GgufValue.ofString("llama"))
                .put("test.flag", GgufValue.ofBool(true))
                .put("test.tokens", GgufValue.ofStrings("a", "bc", "def"))
                .put("test.bytes", GgufValue.ofInts(GgufValueType.UINT8, 1, 2, 3, 4))
                .put("test.scores", GgufValue.ofFloats(1, 2, 3))
                .addTensor("weight.a", GgmlType.F32, new long[] {8, 2}, filled(64))
                .addTensor("weight.b", GgmlType.Q8_0, new long[] {32, 16}, filled(16 * 34));
    }

    private static Hostile hostile() {
        return new Hostile(base().toByteArray());
    }

    @Test
    void theBaseFileIsValid() {
        GgufFile f = GgufFile.parse("base.gguf", MemorySegment.ofArray(base().toByteArray()));
        assertEquals(2, f.tensors().size());
        assertEquals(5, f.metadata().size());
    }

    // ---- header

    @Test
    void refusesABadMagic() {
        assertRejected(hostile().u32(0, 0x46554746).bytes(), "not a GGUF file");
    }

    @Test
    void refusesVersion1() {
        assertRejected(hostile().u32(4, 1).bytes(), "GGUF version 1 is not supported");
    }

    @Test
    void refusesVersion4() {
        assertRejected(hostile().u32(4, 4).bytes(), "GGUF version 4 is not supported");
    }

    @Test
    void refusesABigEndianFile() {
        assertRejected(hostile().u32(4, Integer.reverseBytes(3)).bytes(), "big-endian");
    }

    @Test
    void refusesATensorCountOf2To63() {
        assertRejected(hostile().u64(8, TWO_63).bytes(), "tensor count 9223372036854775808 cannot fit");
    }

    @Test
    void refusesAMetadataCountOf2To63() {
        assertRejected(hostile().u64(16, TWO_63).bytes(), "metadata count 9223372036854775808 cannot fit");
    }

    // ---- strings

    @Test
    void refusesAStringLengthOf2To63() {
        Hostile h = hostile();
        assertRejected(h.u64(h.value("general.architecture"), TWO_63).bytes(),
                "metadata key general.architecture length 9223372036854775808 runs past end of file");
    }

    @Test
    void refusesAStringLengthOf2To64Minus1() {
        Hostile h = hostile();
        assertRejected(h.u64(h.value("general.architecture"), TWO_64_MINUS_1).bytes(),
                "metadata key general.architecture length 18446744073709551615 runs past end of file");
    }

    @Test
    void refusesAKeyLengthOf2To63() {
        Hostile h = hostile();
        assertRejected(h.u64(h.find(encoded("test.flag")), TWO_63).bytes(),
                "metadata key length 9223372036854775808 runs past end of file");
    }

    @Test
    void refusesATensorNameLengthPastTheEnd() {
        Hostile h = hostile();
        assertRejected(h.u64(h.find(encoded("weight.b")), h.bytes().length).bytes(), "tensor name length");
    }

    // ---- arrays

    @Test
    void refusesAnArrayCountOf2To63() {
        Hostile h = hostile();
        assertRejected(h.u64(h.value("test.tokens") + 4, TWO_63).bytes(),
                "metadata key test.tokens array length 9223372036854775808 cannot fit");
    }

    @Test
    void refusesAnArrayCountOf2To62() {
        Hostile h = hostile();
        assertRejected(h.u64(h.value("test.bytes") + 4, 1L << 62).bytes(),
                "metadata key test.bytes array length 4611686018427387904 cannot fit");
    }

    @Test
    void refusesAnArrayCountOneMoreThanTheBytesLeft() {
        Hostile h = hostile();
        int countAt = h.value("test.bytes") + 4;
        long left = h.bytes().length - (countAt + 8);
        assertRejected(h.u64(countAt, left + 1).bytes(),
                "metadata key test.bytes array length " + (left + 1) + " cannot fit in the " + left + " bytes left");
    }

    @Test
    void refusesArraysNested10000Deep() {
        int depth = 10_000;
        GgufWriter w = base().put("test.deep", GgufValue.ofInts(GgufValueType.UINT8, new long[12 * depth - 12]));
        Hostile h = new Hostile(w.toByteArray());
        // rewrite the byte array as an array of arrays of ... of an empty UINT8 array, 12 bytes a level
        int at = h.value("test.deep");
        for (int level = 0; level < depth - 1; level++) {
            h.u32(at, GgufValueType.ARRAY.id()).u64(at + 4, 1);
            at += 12;
        }
        h.u32(at, GgufValueType.UINT8.id()).u64(at + 4, 0);
        assertRejected(h.bytes(), "metadata key test.deep: arrays nested more than " + GgufParser.MAX_ARRAY_DEPTH + " deep");
    }

    @Test
    void acceptsArraysNestedToTheLimit() {
        GgufValue v = GgufValue.ofInts(GgufValueType.UINT8, 7);
        for (int level = 1; level < GgufParser.MAX_ARRAY_DEPTH; level++) {
            v = new GgufValue(GgufValueType.ARRAY, GgufValueType.ARRAY, new GgufValue[] {v});
        }
        GgufFile f = GgufFile.parse("deep.gguf", MemorySegment.ofArray(base().put("test.deep", v).toByteArray()));
        assertEquals(v, f.value("test.deep"));
    }

    @Test
    void refusesAnUnknownValueType() {
        Hostile h = hostile();
        assertRejected(h.u32(h.type("test.flag"), 13).bytes(), "metadata key test.flag has unknown value type 13");
    }

    @Test
    void refusesAnUnknownArrayElementType() {
        Hostile h = hostile();
        assertRejected(h.u32(h.value("test.tokens"), -1).bytes(),
                "metadata key test.tokens array element has unknown value type 4294967295");
    }

    @Test
    void refusesABooleanByteOf7() {
        Hostile h = hostile();
        assertRejected(h.u8(h.value("test.flag"), 7).bytes(), "metadata key test.flag: boolean byte is 7");
    }

    @Test
    void refusesADuplicateKey() {
        GgufWriter w = base().put("test.dup1", GgufValue.ofUInt32(1)).put("test.dup2", GgufValue.ofUInt32(2));
        Hostile h = new Hostile(w.toByteArray());
        assertRejected(h.u8(h.find(encoded("test.dup2")) + 8 + 8, '1').bytes(), "metadata key test.dup1 appears twice");
    }

    // ---- alignment

    @Test
    void refusesAnAlignmentOf0() {
        assertRejected(aligned(0), "general.alignment = 0 is not a power of two");
    }

    @Test
    void refusesAnAlignmentOf3() {
        assertRejected(aligned(3), "general.alignment = 3 is not a power of two");
    }

    @Test
    void refusesAnAlignmentOf2To30() {
        assertRejected(aligned(1 << 30), "general.alignment = 1073741824 is not a power of two between 1 and");
    }

    @Test
    void refusesAnAlignmentStoredAsAString() {
        // written under a near-miss key (the writer refuses a string alignment), then renamed
        GgufWriter w = base().put("general.alignmenX", GgufValue.ofString("32"));
        Hostile h = new Hostile(w.toByteArray());
        byte[] file = h.u8(h.find(encoded("general.alignmenX")) + 8 + 16, 't').bytes();
        assertRejected(file, "general.alignment should be UINT32 but is STRING");
    }

    private static byte[] aligned(int alignment) {
        Hostile h = new Hostile(base().put(GgufFile.ALIGNMENT_KEY, GgufValue.ofUInt32(64)).toByteArray());
        return h.u32(h.value(GgufFile.ALIGNMENT_KEY), alignment).bytes();
    }

    // ---- tensor directory

    @Test
    void refusesDimensionsWhoseProductOverflows64Bits() {
        Hostile h = hostile();
        int info = h.tensorInfo("weight.a");
        assertRejected(h.u64(info + 4, 1L << 32).u64(info + 12, 1L << 32).bytes(), "tensor weight.a size overflows 64 bits");
    }

    @Test
    void refusesABytesSizeThatOverflows64Bits() {
        Hostile h = hostile();
        int info = h.tensorInfo("weight.a"); // 2^62 F32 elements fit in a long, their 2^64 bytes do not
        assertRejected(h.u64(info + 4, 1L << 60).u64(info + 12, 4).bytes(), "tensor weight.a size overflows 64 bits");
    }

    @Test
    void refusesADimensionOf2To63() {
        Hostile h = hostile();
        assertRejected(h.u64(h.tensorInfo("weight.a") + 12, TWO_63).bytes(),
                "tensor weight.a dimension 1 is 9223372036854775808");
    }

    @Test
    void refusesAZeroDimension() {
        Hostile h = hostile();
        assertRejected(h.u64(h.tensorInfo("weight.a") + 12, 0).bytes(), "tensor weight.a dimension 1 is 0");
    }

    @Test
    void refusesFiveDimensions() {
        Hostile h = hostile();
        assertRejected(h.u32(h.tensorInfo("weight.a"), 5).bytes(), "tensor weight.a has 5 dimensions");
    }

    @Test
    void refusesARowLengthThatIsNotAWholeNumberOfBlocks() {
        Hostile h = hostile();
        int info = h.tensorInfo("weight.b");
        assertRejected(h.u64(info + 4, 16).u64(info + 12, 4).bytes(),
                "tensor weight.b row length 16 is not a multiple of the Q8_0 block size 32");
    }

    @Test
    void refusesAnUnknownTensorType() {
        Hostile h = hostile();
        assertRejected(h.u32(h.tensorInfo("weight.a") + 4 + 16, 31).bytes(), "tensor weight.a has unknown type id 31");
    }

    @Test
    void refusesATensorTypeOf2To32Minus1() {
        Hostile h = hostile();
        assertRejected(h.u32(h.tensorInfo("weight.a") + 4 + 16, -1).bytes(),
                "tensor weight.a has unknown type id 4294967295");
    }

    @Test
    void refusesAnOffsetPastTheEndOfFile() {
        Hostile h = hostile();
        assertRejected(h.u64(offsetAt(h, "weight.b"), 1 << 20).bytes(), "tensor weight.b offset 1048576 is past end of file");
    }

    @Test
    void refusesDataRunningPastTheEndOfFile() {
        Hostile h = hostile();
        long dataSize = h.bytes().length - GgufFile.parse("base", MemorySegment.ofArray(h.bytes())).dataStart();
        assertRejected(h.u64(offsetAt(h, "weight.b"), dataSize - 32).bytes(), "tensor weight.b data ends at",
                "past end of file");
    }

    @Test
    void refusesAnOffsetOf2To63() {
        Hostile h = hostile();
        assertRejected(h.u64(offsetAt(h, "weight.b"), TWO_63).bytes(),
                "tensor weight.b offset 9223372036854775808 is past end of file");
    }

    @Test
    void refusesOverlappingTensors() {
        Hostile h = hostile();
        assertRejected(h.u64(offsetAt(h, "weight.b"), 32).bytes(),
                "tensor weight.b at data offset 32 overlaps tensor weight.a");
    }

    @Test
    void refusesAnOffsetThatIsNotAMultipleOfTheAlignment() {
        Hostile h = hostile();
        assertRejected(h.u64(offsetAt(h, "weight.b"), 68).bytes(), "tensor weight.b offset 68 is not a multiple of the alignment 32");
    }

    @Test
    void refusesADuplicateTensorName() {
        Hostile h = hostile();
        assertRejected(h.u8(h.find(encoded("weight.b")) + 8 + 7, 'a').bytes(), "tensor weight.a appears twice");
    }

    /** Where the directory entry of a rank-2 tensor keeps its data offset. */
    private static int offsetAt(Hostile h, String tensor) {
        return h.tensorInfo(tensor) + 4 + 2 * 8 + 4;
    }

    // ---- truncation

    @Test
    void refusesEveryTruncationOfAFileWithTensors() {
        byte[] file = base().toByteArray(); // the last tensor ends the file: no padding follows it
        GgufFile whole = GgufFile.parse("whole", MemorySegment.ofArray(file));
        GgufTensorInfo last = whole.tensors().getLast();
        assertEquals(file.length, whole.dataStart() + last.offset() + last.byteSize());
        long start = System.nanoTime();
        for (int n = 0; n < file.length; n++) {
            byte[] prefix = Arrays.copyOf(file, n);
            GgufFormatException e = assertThrows(GgufFormatException.class,
                    () -> GgufFile.parse("prefix.gguf", MemorySegment.ofArray(prefix)), "prefix of " + n + " bytes");
            assertTrue(e.getMessage().startsWith("prefix.gguf: "), e.getMessage());
        }
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(TIME_LIMIT) < 0, "all prefixes within a second");
    }

    @Test
    void refusesEveryTruncationOfAFileWithoutTensorsExceptTheWholeHeader() {
        byte[] file = base().removeTensor("weight.a").removeTensor("weight.b").toByteArray();
        for (int n = 0; n < file.length; n++) {
            byte[] prefix = Arrays.copyOf(file, n);
            assertThrows(GgufFormatException.class, () -> GgufFile.parse("prefix.gguf", MemorySegment.ofArray(prefix)),
                    "prefix of " + n + " bytes");
        }
        assertEquals(5, GgufFile.parse("whole", MemorySegment.ofArray(file)).metadata().size());
    }

    @Test
    void messagesNameTheFileAndTheOffset() {
        Hostile h = hostile();
        int at = h.value("test.flag");
        assertRejected(h.u8(at, 2).bytes(), "hostile.gguf: at offset " + at + ": ");
    }

    // ---- opening files

    @Test
    void openingAMissingFileNamesThePath(@TempDir Path dir) {
        Path missing = dir.resolve("missing.gguf");
        InferjException e = assertThrows(InferjException.class, () -> GgufFile.open(missing));
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void openingADirectorySaysSo(@TempDir Path dir) {
        InferjException e = assertThrows(InferjException.class, () -> GgufFile.open(dir));
        assertTrue(e.getMessage().contains(dir + ": is a directory"), e.getMessage());
    }

    @Test
    void openingAnEmptyFileSaysItIsTooShort(@TempDir Path dir) throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.gguf"));
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(empty));
        assertTrue(e.getMessage().contains("empty.gguf") && e.getMessage().contains("file of 0 bytes is too short"),
                e.getMessage());
    }

    @Test
    void openingHostileFilesRefusesThemToo(@TempDir Path dir) throws IOException {
        Hostile h = hostile();
        Path counts = Files.write(dir.resolve("counts.gguf"), h.u64(h.value("test.tokens") + 4, TWO_63).bytes());
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> GgufFile.open(counts));
        assertTrue(e.getMessage().contains("counts.gguf") && e.getMessage().contains("test.tokens array length"), e.getMessage());

        Hostile g = hostile();
        Path offsets = Files.write(dir.resolve("offsets.gguf"), g.u64(offsetAt(g, "weight.b"), 1 << 20).bytes());
        e = assertThrows(GgufFormatException.class, () -> GgufFile.open(offsets));
        assertTrue(e.getMessage().contains("offsets.gguf") && e.getMessage().contains("weight.b offset"), e.getMessage());

        Path truncated = Files.write(dir.resolve("truncated.gguf"), Arrays.copyOf(base().toByteArray(), 100));
        e = assertThrows(GgufFormatException.class, () -> GgufFile.open(truncated));
        assertTrue(e.getMessage().contains("truncated.gguf") && e.getMessage().contains("past end of file 100"),
                e.getMessage());
    }

    // ---- helpers

    /**
     * Parses {@code file}, expecting a {@link GgufFormatException} whose message contains each of
     * {@code fragments}, thrown within {@link #TIME_LIMIT} after allocating at most the file size
     * plus {@link #ALLOCATION_SLACK} on this thread.
     */
    private static void assertRejected(byte[] file, String... fragments) {
        MemorySegment segment = MemorySegment.ofArray(file);
        long allocatedBefore = allocatedBytes();
        long start = System.nanoTime();
        GgufFormatException e = null;
        try {
            GgufFile.parse("hostile.gguf", segment);
        } catch (GgufFormatException thrown) {
            e = thrown;
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        long allocated = allocatedBytes() - allocatedBefore;
        if (e == null) {
            fail("the file was accepted; expected a GgufFormatException mentioning " + Arrays.toString(fragments));
        }
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "message \"" + e.getMessage() + "\" should mention \"" + fragment + "\"");
        }
        assertTrue(took.compareTo(TIME_LIMIT) < 0, "refused after " + took);
        if (allocatedBefore >= 0) {
            assertTrue(allocated <= file.length + ALLOCATION_SLACK,
                    "allocated " + allocated + " bytes to refuse a file of " + file.length);
        }
    }

    /** Bytes this thread has allocated so far, or -1 when the JVM does not count them. */
    private static long allocatedBytes() {
        try {
            return THREAD_ALLOCATED_BYTES == null ? -1 : (Long) THREAD_ALLOCATED_BYTES.invoke(THREAD_BEAN);
        } catch (ReflectiveOperationException e) {
            return -1;
        }
    }

    // com.sun.management.ThreadMXBean, reached reflectively: the dev.inferj.core module, which the tests
    // are compiled into, does not read jdk.management (they run on the class path, which reads everything)
    private static final Object THREAD_BEAN;
    private static final Method THREAD_ALLOCATED_BYTES;

    static {
        Object bean = null;
        Method method = null;
        try {
            bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
            Class<?> extended = Class.forName("com.sun.management.ThreadMXBean");
            if (extended.isInstance(bean)
                    && (Boolean) extended.getMethod("isThreadAllocatedMemoryEnabled").invoke(bean)) {
                method = extended.getMethod("getCurrentThreadAllocatedBytes");
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            method = null; // not HotSpot, or not readable: the allocation check is skipped
        }
        THREAD_BEAN = bean;
        THREAD_ALLOCATED_BYTES = method;
    }

    private static byte[] filled(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 7 + 1);
        }
        return b;
    }

    /** A GGUF string as it appears in a file: u64 length, then UTF-8. */
    private static byte[] encoded(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + utf8.length).order(ByteOrder.LITTLE_ENDIAN).putLong(utf8.length).put(utf8).array();
    }

    /** A file being patched: finds keys and tensor entries by their encoded names, overwrites little-endian values. */
    private static final class Hostile {
        private final byte[] file;
        private final ByteBuffer le;

        Hostile(byte[] file) {
            this.file = file;
            this.le = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        }

        byte[] bytes() {
            return file;
        }

        /** Where {@code needle} occurs, which must be exactly once. */
        int find(byte[] needle) {
            int found = -1;
            for (int i = 0; i + needle.length <= file.length; i++) {
                if (Arrays.equals(file, i, i + needle.length, needle, 0, needle.length)) {
                    assertEquals(-1, found, "the patch target occurs twice");
                    found = i;
                }
            }
            assertTrue(found >= 0, "the patch target does not occur");
            return found;
        }

        /** Offset just past the encoded string {@code s}. */
        int after(String s) {
            byte[] e = encoded(s);
            return find(e) + e.length;
        }

        /** Offset of the u32 value type of {@code key}. */
        int type(String key) {
            return after(key);
        }

        /** Offset of the value of {@code key} (for an array: its u32 element type, then its u64 count). */
        int value(String key) {
            return after(key) + 4;
        }

        /** Offset of the u32 dimension count in the directory entry of {@code tensor}; dims, type and offset follow. */
        int tensorInfo(String tensor) {
            return after(tensor);
        }

        Hostile u8(int at, int v) {
            file[at] = (byte) v;
            return this;
        }

        Hostile u32(int at, int v) {
            le.putInt(at, v);
            return this;
        }

        Hostile u64(int at, long v) {
            le.putLong(at, v);
            return this;
        }
    }
}
