package dev.inferj;

import dev.inferj.ggml.GgmlType;
import dev.inferj.model.KvCache;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A session's state in a file: the tokens it holds and their keys and values, so that another
 * process with the same model file continues bit for bit where it stopped. Layout, little-endian:
 * magic, version, the model's fingerprint (32 bytes), KV layers and width, the cache type (its GGML type id),
 * the position, the tokens, each layer's keys then values for those positions (as the cache holds them),
 * and a CRC-32C of all before it.
 */
final class SessionFile {
    private static final int MAGIC = 0x5353_4A49; // "IJSS"
    private static final int VERSION = 2;
    private static final int HEADER = 4 + 4 + 32 + 4 + 4 + 4 + 4;

    private SessionFile() {
    }

    static void write(Path file, byte[] fingerprint, int[] history, int position, KvCache cache) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            CRC32C crc = new CRC32C();
            ByteBuffer head = ByteBuffer.allocate(HEADER + 4 * position).order(ByteOrder.LITTLE_ENDIAN);
            head.putInt(MAGIC).putInt(VERSION).put(fingerprint).putInt(cache.layers()).putInt(cache.kvDim())
                    .putInt(typeId(cache.type())).putInt(position);
            for (int i = 0; i < position; i++) {
                head.putInt(history[i]);
            }
            writeAll(ch, head.flip(), crc);
            for (int layer = 0; layer < cache.layers(); layer++) {
                for (boolean values : new boolean[] {false, true}) {
                    writeAll(ch, cache.rows(layer, values, position).asByteBuffer(), crc);
                }
            }
            writeAll(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(crc.getValue()).flip(), null);
        } catch (IOException e) {
            throw new InferjException("cannot write the session to " + file + ": " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new InferjException("cannot write the session to " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads {@code file} into {@code history} and {@code cache}; returns the position it holds.
     *
     * @throws InferjException when the file is not a session file, was saved from another model or
     *                         another cache shape, holds more positions than {@code cache}, or is
     *                         truncated or corrupt; the session is then left empty
     */
    static int read(Path file, byte[] fingerprint, int[] history, int vocabularySize, KvCache cache) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER + 8) {
                throw bad(file, "is too short to be a session file (" + size + " bytes)");
            }
            CRC32C crc = new CRC32C();
            ByteBuffer head = readFully(ch, HEADER, crc, file);
            if (head.getInt() != MAGIC) {
                throw bad(file, "is not an inferj session file");
            }
            int version = head.getInt();
            if (version != VERSION) {
                throw bad(file, "has session format version " + version + "; this inferj reads version " + VERSION);
            }
            byte[] saved = new byte[32];
            head.get(saved);
            if (!Arrays.equals(saved, fingerprint)) {
                throw bad(file, "was saved from another model file");
            }
            int layers = head.getInt();
            int kvDim = head.getInt();
            int typeId = head.getInt();
            int position = head.getInt();
            if (layers != cache.layers() || kvDim != cache.kvDim()) {
                throw bad(file, "holds a cache of " + layers + " layers x " + kvDim + ", the model's is "
                        + cache.layers() + " x " + cache.kvDim());
            }
            if (typeId != typeId(cache.type())) {
                throw bad(file, "holds a " + typeName(typeId) + " KV cache; this session's is " + cache.type()
                        + " (make the session with that cache type)");
            }
            if (position < 0 || position > cache.contextLength()) {
                throw bad(file, "holds " + position + " positions; the session has room for " + cache.contextLength());
            }
            long expected = HEADER + 4L * position + 2L * layers * position * cache.rowBytes() + 8;
            if (size != expected) {
                throw bad(file, "is " + size + " bytes, " + expected + " expected for " + position + " positions (truncated?)");
            }
            ByteBuffer tokens = readFully(ch, 4 * position, crc, file);
            for (int i = 0; i < position; i++) {
                int id = tokens.getInt();
                if (id < 0 || id >= vocabularySize) {
                    throw bad(file, "holds token id " + id + " at position " + i + ", outside the vocabulary");
                }
                history[i] = id;
            }
            for (int layer = 0; layer < layers; layer++) {
                for (boolean values : new boolean[] {false, true}) {
                    MemorySegment rows = cache.rows(layer, values, position);
                    ByteBuffer into = rows.asByteBuffer();
                    while (into.hasRemaining()) {
                        if (ch.read(into) < 0) {
                            throw bad(file, "ends early");
                        }
                    }
                    crc.update(rows.asByteBuffer());
                }
            }
            long stored = readFully(ch, 8, null, file).getLong();
            if (stored != crc.getValue()) {
                throw bad(file, "is corrupt: its checksum does not match");
            }
            return position;
        } catch (IOException e) {
            throw new InferjException("cannot read the session from " + file + ": " + e.getMessage(), e);
        }
    }

    private static int typeId(KvCacheType type) {
        return switch (type) {
            case F32 -> GgmlType.F32.id();
            case F16 -> GgmlType.F16.id();
            case Q8_0 -> GgmlType.Q8_0.id();
        };
    }

    private static String typeName(int id) {
        for (KvCacheType type : KvCacheType.values()) {
            if (typeId(type) == id) {
                return type.name();
            }
        }
        return "type " + id;
    }

    private static void writeAll(FileChannel ch, ByteBuffer b, CRC32C crc) throws IOException {
        if (crc != null) {
            crc.update(b.duplicate());
        }
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static ByteBuffer readFully(FileChannel ch, int length, CRC32C crc, Path file) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw bad(file, "ends early");
            }
        }
        b.flip();
        if (crc != null) {
            crc.update(b.duplicate());
        }
        return b;
    }

    private static InferjException bad(Path file, String what) {
        return new InferjException(file + " " + what);
    }
}
