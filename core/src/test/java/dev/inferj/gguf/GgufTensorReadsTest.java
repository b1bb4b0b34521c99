package dev.inferj.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.GgufFormatException;
import dev.inferj.ggml.GgmlType;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tensor bytes read with read calls (a file opened from a path) or from memory equal the mapping's. */
class GgufTensorReadsTest {

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(7).nextBytes(b);
        return b;
    }

    private static final byte[] A = randomBytes(3000);
    private static final byte[] B = randomBytes(1000);

    private static GgufWriter twoTensors() {
        return new GgufWriter().addTensor("a", GgmlType.F32, new long[] {750}, A).addTensor("b", GgmlType.F16, new long[] {500}, B);
    }

    @Test
    void readsEqualTheMappedBytesFromAFileAndFromMemory(@TempDir Path dir) {
        Path path = dir.resolve("t.gguf");
        twoTensors().write(path);
        try (GgufFile file = GgufFile.open(path); GgufFile.TensorReads reads = file.tensorReads()) {
            assertReadsMatch(file, reads);
        }
        GgufFile inMemory = GgufFile.parse("memory", MemorySegment.ofArray(twoTensors().toByteArray()));
        try (GgufFile.TensorReads reads = inMemory.tensorReads()) {
            assertReadsMatch(inMemory, reads);
        }
    }

    private static void assertReadsMatch(GgufFile file, GgufFile.TensorReads reads) {
        for (GgufTensorInfo t : file.tensors()) {
            byte[] read = new byte[100];
            reads.read(t, 17, read, read.length);
            byte[] mapped = new byte[100];
            MemorySegment.copy(file.data(t), ValueLayout.JAVA_BYTE, 17, mapped, 0, mapped.length);
            assertArrayEquals(mapped, read, t.name());
        }
        assertThrows(IndexOutOfBoundsException.class, () -> reads.read(file.tensor("b"), 990, new byte[20], 20));
    }

    @Test
    void aFileTruncatedAfterOpeningIsATypedErrorNamingTheTensor(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("t.gguf");
        twoTensors().write(path);
        try (GgufFile file = GgufFile.open(path); GgufFile.TensorReads reads = file.tensorReads()) {
            GgufTensorInfo b = file.tensor("b");
            try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
                raf.setLength(file.dataStart() + b.offset() + 10);
            }
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> reads.read(b, 0, new byte[100], 100));
            assertTrue(e.getMessage().contains("tensor b"), e.getMessage());
        }
    }
}
