package dev.inferj.gguf;

import dev.inferj.GgufFormatException;
import dev.inferj.InferjException;
import dev.inferj.UnsupportedModelException;
import dev.inferj.model.VocabularyLoader;
import dev.inferj.tokenizer.Vocabulary;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A GGUF file (version 2 or 3) mapped read-only into memory: its metadata, its tensor
 * directory, and each tensor's bytes as a slice of the mapping. Nothing is copied onto the
 * heap but the header. Closing the file unmaps it; slices must not be used after that.
 */
public final class GgufFile implements AutoCloseable {
    /** The key of the data alignment, and its value when absent. */
    public static final String ALIGNMENT_KEY = "general.alignment";
    public static final int DEFAULT_ALIGNMENT = 32;
    /** The key of llama.cpp's number for how a file's weights are quantized (its {@code LLAMA_FTYPE}). */
    public static final String FILE_TYPE_KEY = "general.file_type";
    /** The key of the version of ggml's quantization formats the file was written with. */
    public static final String QUANTIZATION_VERSION_KEY = "general.quantization_version";

    private final String source;
    /** The file the bytes were mapped from, or null when they were handed over in memory. */
    private final Path path;
    private final Arena arena;
    private final MemorySegment contents;
    private final int version;
    private final Map<String, GgufValue> metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final long dataStart;
    private final int alignment;

    GgufFile(String source, Path path, Arena arena, MemorySegment contents, int version, Map<String, GgufValue> metadata,
             List<GgufTensorInfo> tensors, Map<String, GgufTensorInfo> tensorsByName, long dataStart, int alignment) {
        this.source = source;
        this.path = path;
        this.arena = arena;
        this.contents = contents;
        this.version = version;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = List.copyOf(tensors);
        this.tensorsByName = tensorsByName;
        this.dataStart = dataStart;
        this.alignment = alignment;
    }

    /** Maps and parses {@code path}; the returned file owns the mapping. */
    public static GgufFile open(Path path) {
        if (Files.isDirectory(path)) { // a directory opens for reading on Linux, then fails to map with ENODEV
            throw new InferjException(path + ": is a directory, not a GGUF file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment contents = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return GgufParser.parse(path.toString(), path, contents, arena);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new InferjException(path + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new InferjException(path + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** Parses GGUF bytes held in memory the caller owns (closing the result does not free them). */
    public static GgufFile parse(String name, MemorySegment contents) {
        return GgufParser.parse(name, null, contents, null);
    }

    /** The path or name the file was opened from, for messages. */
    public String source() {
        return source;
    }

    public int version() {
        return version;
    }

    /** Every key-value pair, in file order. */
    public Map<String, GgufValue> metadata() {
        return metadata;
    }

    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    /** The tensor named {@code name}, or {@code null}. */
    public GgufTensorInfo tensor(String name) {
        return tensorsByName.get(name);
    }

    public int alignment() {
        return alignment;
    }

    /** File offset where tensor data begins. */
    public long dataStart() {
        return dataStart;
    }

    /** The bytes of {@code tensor}, a read-only slice of the mapping (bounds were checked on open). */
    public MemorySegment data(GgufTensorInfo tensor) {
        return contents.asSlice(dataStart + tensor.offset(), tensor.byteSize()).asReadOnly();
    }

    /**
     * Reads of tensor bytes into arrays, for one pass over many tensors (several threads may read at once); close
     * it after the pass. A file opened from a path is read with read calls, which copy the page cache in bulk: on
     * a virtual machine 2 GB in 0.2-0.3 s, against 0.7-1.2 s through the mapping, a page fault at a time, and the
     * mapping's pages stay out of the process's memory. Other files are read from their bytes in memory.
     */
    public TensorReads tensorReads() {
        if (path == null) {
            return new TensorReads(null);
        }
        try {
            return new TensorReads(FileChannel.open(path, StandardOpenOption.READ));
        } catch (IOException e) {
            throw new InferjException(source + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** See {@link #tensorReads}. */
    public final class TensorReads implements AutoCloseable {
        /** The file, or null to copy from the mapping. */
        private final FileChannel channel;

        private TensorReads(FileChannel channel) {
            this.channel = channel;
        }

        /** Copies bytes {@code [offset, offset + length)} of {@code tensor}'s data into {@code into[0, length)}. */
        public void read(GgufTensorInfo tensor, long offset, byte[] into, int length) {
            if (offset < 0 || length < 0 || offset + length > tensor.byteSize()) {
                throw new IndexOutOfBoundsException(tensor.name() + ": bytes " + offset + " + " + length + " of " + tensor.byteSize());
            }
            long at = dataStart + tensor.offset() + offset;
            if (channel == null) {
                MemorySegment.copy(contents, ValueLayout.JAVA_BYTE, at, into, 0, length);
                return;
            }
            ByteBuffer buffer = ByteBuffer.wrap(into, 0, length);
            try {
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer, at + buffer.position()) < 0) {
                        throw new GgufFormatException(source + ": the file ends inside tensor " + tensor.name()
                                + " (was it truncated since it was opened?)");
                    }
                }
            } catch (IOException e) {
                throw new InferjException(source + ": cannot read tensor " + tensor.name() + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException e) {
                    // read-only: nothing was left unwritten
                }
            }
        }
    }

    /**
     * The vocabulary this file's {@code tokenizer.ggml.*} keys describe, read without touching the weights: for
     * tokenizing or rendering a chat template apart from a loaded model ({@code Tokenizer.of(f.vocabulary())}).
     *
     * @throws GgufFormatException       a tokenizer key is missing, of the wrong type or inconsistent
     * @throws UnsupportedModelException the tokenizer model is neither {@code llama} nor {@code gpt2}
     */
    public Vocabulary vocabulary() {
        return VocabularyLoader.fromGguf(this);
    }

    /** The whole file. */
    public MemorySegment contents() {
        return contents;
    }

    // ---- typed metadata access: each names the key and the file when the value is missing or of another type

    public GgufValue value(String key) {
        return metadata.get(key);
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public String getString(String key) {
        return (String) expect(key, required(key), GgufValueType.STRING).value();
    }

    public String getString(String key, String fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : (String) expect(key, v, GgufValueType.STRING).value();
    }

    /** Any integer type, as a long (UINT64 above 2^63 is refused). */
    public long getLong(String key) {
        return integer(key, required(key));
    }

    public long getLong(String key, long fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : integer(key, v);
    }

    /** Any integer type, checked to lie in {@code [min, max]}. */
    public int getInt(String key, int min, int max) {
        return inRange(key, getLong(key), min, max);
    }

    public int getInt(String key, int min, int max, int fallback) {
        return has(key) ? getInt(key, min, max) : fallback;
    }

    /** FLOAT32 or FLOAT64 (integers are accepted too). */
    public double getDouble(String key) {
        GgufValue v = required(key);
        return switch (v.value()) {
            case Double d -> d;
            case Long l when v.type().isInteger() -> l;
            default -> throw wrongType(key, v, "a number");
        };
    }

    public double getDouble(String key, double fallback) {
        return has(key) ? getDouble(key) : fallback;
    }

    public boolean getBool(String key, boolean fallback) {
        GgufValue v = metadata.get(key);
        return v == null ? fallback : (Boolean) expect(key, v, GgufValueType.BOOL).value();
    }

    public String[] getStringArray(String key) {
        return (String[]) array(key, GgufValueType.STRING).value();
    }

    public float[] getFloatArray(String key) {
        return (float[]) array(key, GgufValueType.FLOAT32).value();
    }

    /** An array of any integer type. */
    public long[] getIntegerArray(String key) {
        GgufValue v = required(key);
        if (v.type() != GgufValueType.ARRAY || !v.elementType().isInteger()) {
            throw wrongType(key, v, "an array of integers");
        }
        return (long[]) v.value();
    }

    private GgufValue array(String key, GgufValueType element) {
        GgufValue v = required(key);
        if (v.type() != GgufValueType.ARRAY || v.elementType() != element) {
            throw wrongType(key, v, "an array of " + element);
        }
        return v;
    }

    private GgufValue required(String key) {
        GgufValue v = metadata.get(key);
        if (v == null) {
            throw new GgufFormatException(source + ": metadata key " + key + " is missing");
        }
        return v;
    }

    private GgufValue expect(String key, GgufValue v, GgufValueType type) {
        if (v.type() != type) {
            throw wrongType(key, v, type.toString());
        }
        return v;
    }

    private long integer(String key, GgufValue v) {
        if (!v.type().isInteger()) {
            throw wrongType(key, v, "an integer");
        }
        long l = (Long) v.value();
        if (v.type() == GgufValueType.UINT64 && l < 0) {
            throw new GgufFormatException(source + ": metadata key " + key + " = " + Long.toUnsignedString(l) + " is too large");
        }
        return l;
    }

    private int inRange(String key, long value, int min, int max) {
        if (value < min || value > max) {
            throw new GgufFormatException(source + ": metadata key " + key + " = " + value
                    + " is outside [" + min + ", " + max + "]");
        }
        return (int) value;
    }

    private GgufFormatException wrongType(String key, GgufValue v, String expected) {
        String actual = v.type() == GgufValueType.ARRAY ? "an array of " + v.elementType() : v.type().toString();
        return new GgufFormatException(source + ": metadata key " + key + " should be " + expected + " but is " + actual);
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
