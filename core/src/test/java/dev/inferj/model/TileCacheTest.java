package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import dev.inferj.SharedData;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tile cache: a load writes the tiled weights, the next load of the same file reads them
 * (the same logits), and a cache that does not match the file is written anew, never read.
 */
class TileCacheTest {
    private static final int[] PROMPT = {1, 450, 1996, 1354, 1701, 432, 1204, 975};

    @TempDir
    Path dir;
    private Path model;
    private Path cache;
    private float[] expected;

    @BeforeEach
    void copyTheModel() throws IOException {
        model = Files.copy(SharedData.model("llama-dense-q4_0.gguf"), dir.resolve("model.gguf"));
        cache = dir.resolve("cache");
        expected = logits(ModelOptions.defaults().withContextLength(16));
    }

    @Test
    void theNextLoadReadsWhatTheFirstWrote() throws IOException {
        assertArrayEquals(expected, logits(options()));
        Path written = onlyCacheFile();
        long size = Files.size(written);
        assertArrayEquals(expected, logits(options()));
        // proof that the second load read the cache: a changed quant changes the logits
        flipBits(written);
        assertFalse(Arrays.equals(expected, logits(options())));
        assertEquals(size, Files.size(onlyCacheFile()));
    }

    @Test
    void aTruncatedCacheIsWrittenAnew() throws IOException {
        logits(options());
        Path written = onlyCacheFile();
        long size = Files.size(written);
        try (RandomAccessFile f = new RandomAccessFile(written.toFile(), "rw")) {
            f.setLength(size / 2);
        }
        assertArrayEquals(expected, logits(options()));
        assertEquals(size, Files.size(onlyCacheFile()));
    }

    @Test
    void aCacheOfAnEarlierVersionOfTheFileIsNotRead() throws IOException {
        logits(options());
        Path stale = onlyCacheFile();
        flipBits(stale);
        Files.setLastModifiedTime(model, FileTime.fromMillis(Files.getLastModifiedTime(model).toMillis() + 5_000));
        assertArrayEquals(expected, logits(options())); // the stale cache, under another name, is not read
        try (Stream<Path> files = Files.list(cache)) {
            assertEquals(2, files.count());
        }
    }

    @Test
    void aCacheThatCannotBeWrittenOnlyCostsTheWrite() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");
        assertArrayEquals(expected, logits(options().withTileCache(notADirectory.resolve("cache"))));
    }

    private ModelOptions options() {
        return ModelOptions.defaults().withContextLength(16).withTileCache(cache);
    }

    private float[] logits(ModelOptions options) {
        try (Model m = Model.load(model, options); Session s = m.newSession()) {
            return s.evaluate(PROMPT).clone();
        }
    }

    private Path onlyCacheFile() throws IOException {
        try (Stream<Path> files = Files.list(cache)) {
            List<Path> all = files.toList();
            assertEquals(1, all.size(), all.toString());
            assertTrue(all.get(0).getFileName().toString().startsWith("model.gguf-"), all.toString());
            return all.get(0);
        }
    }

    /** Flips the lowest bit of every 997th byte after the header: quants change, F16 scales stay finite. */
    private static void flipBits(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        for (int at = 64; at < bytes.length; at += 997) {
            bytes[at] ^= 1;
        }
        Files.write(file, bytes);
    }
}
