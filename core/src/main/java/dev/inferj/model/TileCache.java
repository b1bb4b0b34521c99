package dev.inferj.model;

import dev.inferj.InferjException;
import dev.inferj.gguf.GgufTensorInfo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's tiled tensors kept on disk, so that a later load maps them (from the page cache, at
 * once) instead of copying the file's weights into fresh memory again. One file per model file in
 * the cache directory, named after the model file's name and a hash of its absolute path, size and
 * modification time. A 64-byte header repeats those (and the layout's version); the tensors follow
 * in file order, each at a 64-byte boundary. A cache that does not match (another file, a truncated
 * write, an older layout) is not read; the next load writes it anew.
 *
 * @param file           the cache file
 * @param sourceSize     the model file's size
 * @param sourceModified the model file's modification time, in milliseconds
 */
public record TileCache(Path file, long sourceSize, long sourceModified) {
    private static final System.Logger LOG = System.getLogger(TileCache.class.getName());
    /** "INFJTIL1", little-endian. */
    private static final long MAGIC = 0x314c49544a464e49L;
    /** Bump when {@link dev.inferj.kernels.TileLayout} changes (3: Q2_K and Q3_K tiled, Q5_K's quants as 5-bit fields). */
    private static final int VERSION = 3;
    private static final int HEADER_BYTES = 64;
    private static final int ALIGN = 64;
    private static final long WRITE_CHUNK = 1L << 30;

    /** The cache of {@code model} in {@code directory} (which need not exist yet). */
    public static TileCache of(Path model, Path directory) {
        Path absolute = model.toAbsolutePath().normalize();
        long size;
        long modified;
        try {
            size = Files.size(absolute);
            modified = Files.getLastModifiedTime(absolute).toMillis();
        } catch (IOException e) {
            throw new InferjException(model + ": cannot read its size and modification time: " + e.getMessage(), e);
        }
        String key = absolute + "\n" + size + "\n" + modified;
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)), 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
        return new TileCache(directory.resolve(absolute.getFileName() + "-" + hash + ".tiles"), size, modified);
    }

    /**
     * The tiled tensors mapped into {@code arena}, by name, or {@code null} when the cache is
     * missing or does not match; {@code sizes} are the tensors' bytes, in file order.
     */
    Map<String, MemorySegment> read(List<GgufTensorInfo> tensors, List<Long> sizes, Arena arena) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long[] offsets = layout(sizes);
            long total = offsets[sizes.size()];
            if (ch.size() != total) {
                return null;
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, total, arena);
            if (all.asSlice(0, HEADER_BYTES).mismatch(header(tensors.size(), total)) != -1) {
                return null;
            }
            Map<String, MemorySegment> tiles = new LinkedHashMap<>();
            for (int i = 0; i < tensors.size(); i++) {
                tiles.put(tensors.get(i).name(), all.asSlice(offsets[i], sizes.get(i)));
            }
            return tiles;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "inferj: cannot read the tile cache " + file + ": " + e);
            return null;
        }
    }

    /** Writes {@code tiles} (in {@code tensors}' order) to the cache; a failure is logged, not thrown. */
    void write(List<GgufTensorInfo> tensors, Map<String, MemorySegment> tiles) {
        Path temporary = null;
        try {
            Files.createDirectories(file.getParent());
            temporary = Files.createTempFile(file.getParent(), file.getFileName().toString(), ".partial");
            List<Long> sizes = tensors.stream().map(t -> tiles.get(t.name()).byteSize()).toList();
            long[] offsets = layout(sizes);
            try (FileChannel ch = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                writeFully(ch, header(tensors.size(), offsets[sizes.size()]), 0);
                for (int i = 0; i < tensors.size(); i++) {
                    writeFully(ch, tiles.get(tensors.get(i).name()), offsets[i]);
                }
                if (ch.size() < offsets[sizes.size()]) { // padding after the last tensor
                    ch.write(ByteBuffer.allocate(1), offsets[sizes.size()] - 1);
                }
            }
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "inferj: cannot write the tile cache " + file + ": " + e);
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // the warning above says enough
                }
            }
        }
    }

    /** Where each tensor starts, and (last) the file's size. */
    private static long[] layout(List<Long> sizes) {
        long[] offsets = new long[sizes.size() + 1];
        long at = HEADER_BYTES;
        for (int i = 0; i < sizes.size(); i++) {
            offsets[i] = at;
            at = (at + sizes.get(i) + ALIGN - 1) / ALIGN * ALIGN;
        }
        offsets[sizes.size()] = at;
        return offsets;
    }

    private MemorySegment header(int tensors, long total) {
        MemorySegment h = MemorySegment.ofArray(new byte[HEADER_BYTES]);
        ValueLayout.OfLong longLe = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfInt intLe = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        h.set(longLe, 0, MAGIC);
        h.set(intLe, 8, VERSION);
        h.set(intLe, 12, tensors);
        h.set(longLe, 16, sourceSize);
        h.set(longLe, 24, sourceModified);
        h.set(longLe, 32, total);
        return h;
    }

    private static void writeFully(FileChannel ch, MemorySegment data, long position) throws IOException {
        for (long done = 0; done < data.byteSize(); ) {
            ByteBuffer chunk = data.asSlice(done, Math.min(WRITE_CHUNK, data.byteSize() - done)).asByteBuffer();
            while (chunk.hasRemaining()) {
                done += ch.write(chunk, position + done);
            }
        }
    }
}
