package dev.inferj.gguf;

import dev.inferj.InferjException;
import dev.inferj.ggml.GgmlType;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Builds a GGUF file (version 3, or 2 on request) from metadata and tensors, in the layout the
 * GGUF specification gives and llama.cpp writes: header, key-value pairs in the order put,
 * tensor directory in the order added, then (when there are tensors) zero padding to the
 * alignment and each tensor's bytes at an aligned offset, each followed by zero padding to the
 * alignment. The alignment is {@code general.alignment} when the caller puts it, else 32.
 * Rewriting a file read with {@link #copyOf(GgufFile)} reproduces files written by llama.cpp's
 * tools byte for byte.
 *
 * <p>Everything handed in is checked when it is handed in ({@link IllegalArgumentException}):
 * the writer refuses to make a file that {@link GgufFile} would refuse to read. Tensor data is
 * held by reference, not copied: a segment must stay readable (its arena open, its file mapped)
 * until {@link #write(Path)} returns. A tensor may also be a {@link TensorSource} that produces its
 * bytes while the file is written, so a file of many gigabytes never has to be in memory at once.
 *
 * <pre>{@code
 * GgufWriter w = new GgufWriter();
 * w.put("general.architecture", GgufValue.ofString("llama"));
 * w.addTensor("token_embd.weight", GgmlType.F32, new long[] {64, 512}, segment);
 * w.write(Path.of("model.gguf"));
 * }</pre>
 */
public final class GgufWriter {
    private static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    /** Tensor data is written in pieces no larger than this (a ByteBuffer holds at most 2 GiB). */
    private static final int CHUNK = 1 << 26;

    /** One key-value pair, already encoded as it appears in the file. */
    private record Entry(GgufValue value, byte[] encoded) {
    }

    /** A tensor's bytes are {@code data}, or come from {@code source} when {@code data} is null. */
    private record Tensor(String name, GgmlType type, long[] dims, long byteSize, MemorySegment data, TensorSource source) {
    }

    /**
     * Produces a tensor's bytes on demand, a chunk at a time, in order. The writer hands it chunks
     * that start and end on row boundaries (a row being {@code dims[0]} elements), so a quantizer
     * can fill one with whole rows of blocks.
     */
    @FunctionalInterface
    public interface TensorSource {
        /**
         * Fills all of {@code chunk} with the tensor's bytes from byte {@code offset} on: rows
         * {@code offset / rowBytes} up to {@code (offset + chunk.byteSize()) / rowBytes}. Every byte
         * must be written: the chunk's memory is reused and holds the previous chunk's bytes.
         */
        void fill(long offset, MemorySegment chunk);
    }

    private int version = 3;
    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    /** An empty version-3 file. */
    public GgufWriter() {
    }

    /**
     * A writer holding all the metadata (in order) and tensors (in directory order) of {@code file}, its
     * version and its alignment. The tensors' data stay slices of {@code file}'s mapping: keep it open
     * until written.
     */
    public static GgufWriter copyOf(GgufFile file) {
        GgufWriter w = new GgufWriter().version(file.version());
        file.metadata().forEach(w::put);
        for (GgufTensorInfo t : file.tensors()) {
            w.addTensor(t.name(), t.type(), t.dims(), file.data(t));
        }
        return w;
    }

    /** Sets the GGUF version written: 3 (the default) or 2, whose layout is the same. */
    public GgufWriter version(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("GGUF version " + version + " cannot be written (2 and 3 can)");
        }
        this.version = version;
        return this;
    }

    /** Adds a key; it is written after the keys added before it. */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("metadata key " + key + " is already present");
        }
        metadata.put(key, entry(key, value));
        return this;
    }

    /** Changes the value of a key already present, keeping its place. */
    public GgufWriter replace(String key, GgufValue value) {
        Objects.requireNonNull(value, "value");
        if (!metadata.containsKey(key)) {
            throw new IllegalArgumentException("metadata key " + key + " is not present");
        }
        metadata.put(key, entry(key, value));
        return this;
    }

    /** Removes a key if present. */
    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /** The value of {@code key}, or {@code null}. */
    public GgufValue value(String key) {
        Entry e = metadata.get(key);
        return e == null ? null : e.value();
    }

    /**
     * Adds a tensor whose bytes are {@code data} (not copied: it must stay readable until written).
     * {@code dims[0]} is the row length and must be a multiple of the type's block size.
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, MemorySegment data) {
        Objects.requireNonNull(data, "data");
        return add(name, type, dims, data, null);
    }

    /**
     * Adds a tensor whose bytes {@code source} produces while the file is written (and again each
     * time it is written): nothing of it is held until then.
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, TensorSource source) {
        Objects.requireNonNull(source, "source");
        return add(name, type, dims, null, source);
    }

    private GgufWriter add(String name, GgmlType type, long[] dims, MemorySegment data, TensorSource source) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(dims, "dims");
        String what = "tensor " + name;
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException(what + " is already present");
        }
        dims = dims.clone();
        if (dims.length < 1 || dims.length > GgufParser.MAX_DIMS) {
            throw new IllegalArgumentException(what + " has " + dims.length + " dimensions (1 to "
                    + GgufParser.MAX_DIMS + " allowed)");
        }
        long elements = 1;
        for (int d = 0; d < dims.length; d++) {
            if (dims[d] < 1) {
                throw new IllegalArgumentException(what + " dimension " + d + " is " + dims[d]);
            }
            try {
                elements = Math.multiplyExact(elements, dims[d]);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(what + " dimensions " + Arrays.toString(dims) + " overflow 64 bits");
            }
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException(what + " row length " + dims[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        long bytes;
        try {
            bytes = type.byteSize(elements);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + " size overflows 64 bits");
        }
        if (data != null && bytes != data.byteSize()) {
            throw new IllegalArgumentException(what + " " + type + " " + Arrays.toString(dims) + " takes " + bytes
                    + " bytes but its data has " + data.byteSize());
        }
        utf8(name, what + " name");
        tensors.put(name, new Tensor(name, type, dims, bytes, data, source));
        return this;
    }

    /** Adds a tensor whose bytes are {@code data} (not copied: do not change it until written). */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, byte[] data) {
        return addTensor(name, type, dims, MemorySegment.ofArray(data));
    }

    /** Removes a tensor if present. */
    public GgufWriter removeTensor(String name) {
        tensors.remove(name);
        return this;
    }

    /** The data alignment the file will have. */
    public int alignment() {
        Entry e = metadata.get(GgufFile.ALIGNMENT_KEY);
        return e == null ? GgufFile.DEFAULT_ALIGNMENT : (int) (long) (Long) e.value().value();
    }

    /** The size of the file {@link #write(Path)} would make. */
    public long byteSize() {
        return layout().end;
    }

    /**
     * Writes the file, streaming each tensor's data from its segment or its source. The bytes go to a sibling
     * temporary file of a name of its own ({@code OUT.*.partial}) that then replaces {@code out}, so a failure
     * leaves no half-written file, two writers of one {@code out} never share their temporary file, and
     * {@code out} may be the very file the tensors are mapped from.
     */
    public void write(Path out) {
        Layout layout = layout();
        Path partial = null;
        try {
            Path dir = out.toAbsolutePath().getParent();
            partial = Files.createTempFile(dir, out.getFileName() + ".", ".partial");
            try (FileChannel fc = FileChannel.open(partial, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofShared(); // shared: a source may fill its chunk from several threads
                 WriteBehind ch = new WriteBehind(fc)) {
                ch.write(ByteBuffer.wrap(layout.header));
                long at = layout.header.length;
                int i = 0;
                // for sources, two buffers: one is written while the source fills the other
                MemorySegment[] buffers = new MemorySegment[2];
                int next = 0;
                for (Tensor t : tensors.values()) {
                    long start = layout.dataStart + layout.offsets[i++];
                    ch.write(ByteBuffer.allocate((int) (start - at)));
                    long size = t.byteSize;
                    if (t.data != null) {
                        for (long done = 0; done < size; done += CHUNK) {
                            ch.write(t.data.asSlice(done, Math.min(CHUNK, size - done)).asByteBuffer());
                        }
                    } else {
                        long chunk = sourceChunk(t);
                        for (long done = 0; done < size; done += chunk) {
                            if (buffers[next] == null || buffers[next].byteSize() < chunk) {
                                ch.await(); // the buffer may still be being written
                                buffers[next] = arena.allocate(chunk, 64);
                            }
                            MemorySegment piece = buffers[next].asSlice(0, Math.min(chunk, size - done));
                            t.source.fill(done, piece);
                            ch.writeBehind(piece.asByteBuffer());
                            next ^= 1;
                        }
                    }
                    at = start + size;
                }
                ch.write(ByteBuffer.allocate((int) (layout.end - at)));
            }
            try {
                Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            try {
                if (partial != null) {
                    Files.deleteIfExists(partial);
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof IOException io) {
                throw new InferjException(out + ": cannot write: " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    /** The whole file in a heap array: for small files (tests, vocabularies). */
    public byte[] toByteArray() {
        Layout layout = layout();
        if (layout.end > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("a file of " + layout.end + " bytes does not fit in an array: write it to a path");
        }
        byte[] out = Arrays.copyOf(layout.header, (int) layout.end);
        MemorySegment dst = MemorySegment.ofArray(out);
        int i = 0;
        for (Tensor t : tensors.values()) {
            long start = layout.dataStart + layout.offsets[i++];
            if (t.data != null) {
                MemorySegment.copy(t.data, 0, dst, start, t.byteSize);
            } else {
                long chunk = sourceChunk(t);
                for (long done = 0; done < t.byteSize; done += chunk) {
                    t.source.fill(done, dst.asSlice(start + done, Math.min(chunk, t.byteSize - done)));
                }
            }
        }
        return out;
    }

    /** The chunk size for a source: as many whole rows as fit in {@link #CHUNK}, at least one. */
    private static long sourceChunk(Tensor t) {
        long rowBytes = t.type.byteSize(t.dims[0]);
        return Math.min(t.byteSize, Math.max(1, CHUNK / rowBytes) * rowBytes);
    }

    // ---- layout

    /** The encoded header up to the data section (padding included), each tensor's data offset, and the file size. */
    private record Layout(byte[] header, long dataStart, long[] offsets, long end) {
    }

    private Layout layout() {
        int alignment = alignment();
        long[] offsets = new long[tensors.size()];
        long dataSize = 0;
        int i = 0;
        for (Tensor t : tensors.values()) {
            offsets[i++] = dataSize;
            dataSize = alignUp(dataSize + t.byteSize, alignment);
        }
        Encoder e = new Encoder();
        e.u32(MAGIC);
        e.u32(version);
        e.u64(tensors.size());
        e.u64(metadata.size());
        for (Entry entry : metadata.values()) {
            e.bytes(entry.encoded);
        }
        i = 0;
        for (Tensor t : tensors.values()) {
            e.string(t.name, "tensor name");
            e.u32(t.dims.length);
            for (long d : t.dims) {
                e.u64(d);
            }
            e.u32(t.type.id());
            e.u64(offsets[i++]);
        }
        // llama.cpp pads the header only when tensor data follows
        long dataStart = tensors.isEmpty() ? e.length : alignUp(e.length, alignment);
        byte[] header = Arrays.copyOf(e.buf, (int) dataStart);
        return new Layout(header, dataStart, offsets, dataStart + dataSize);
    }

    private static long alignUp(long x, int alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /**
     * A channel with at most one write in flight on a thread of its own, so that producing the
     * next chunk of a source overlaps writing the last one (copying gigabytes into the page cache
     * takes a core's worth of time). Writes stay in order: each waits for the one in flight.
     */
    private static final class WriteBehind implements AutoCloseable {
        private final FileChannel channel;
        private final ExecutorService thread = Executors.newSingleThreadExecutor(r ->
                Thread.ofPlatform().daemon().name("gguf-writer").unstarted(r));
        private Future<?> inFlight;

        WriteBehind(FileChannel channel) {
            this.channel = channel;
        }

        /** Writes {@code b} now, after the write in flight. */
        void write(ByteBuffer b) throws IOException {
            await();
            writeFully(channel, b);
        }

        /** Starts writing {@code b} after the write in flight; {@code b} must not change until the next call. */
        void writeBehind(ByteBuffer b) throws IOException {
            await();
            inFlight = thread.submit(() -> {
                writeFully(channel, b);
                return null;
            });
        }

        /** Waits for the write in flight, rethrowing its failure. */
        void await() throws IOException {
            Future<?> f = inFlight;
            inFlight = null;
            if (f == null) {
                return;
            }
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing");
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IOException(e.getCause());
            }
        }

        @Override
        public void close() throws IOException {
            try {
                await();
            } finally {
                thread.shutdownNow();
            }
        }
    }

    // ---- metadata encoding, with the checks that make what is written read back equal

    private static Entry entry(String key, GgufValue value) {
        String what = "metadata key " + key;
        Encoder e = new Encoder();
        e.string(key, what);
        e.u32(value.type().id());
        encodeValue(e, value, what, 0);
        if (key.equals(GgufFile.ALIGNMENT_KEY)) {
            checkAlignment(value);
        }
        return new Entry(value, Arrays.copyOf(e.buf, e.length));
    }

    private static void checkAlignment(GgufValue v) {
        if (v.type() != GgufValueType.UINT32 && v.type() != GgufValueType.INT32 && v.type() != GgufValueType.UINT64) {
            throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + " should be UINT32 but is " + v.type());
        }
        long a = (Long) v.value();
        if (a < 1 || a > GgufParser.MAX_ALIGNMENT || Long.bitCount(a) != 1) {
            throw new IllegalArgumentException(GgufFile.ALIGNMENT_KEY + " = " + a
                    + " is not a power of two between 1 and " + GgufParser.MAX_ALIGNMENT);
        }
    }

    /** Encodes a value without its type tag (the tag precedes scalars and top-level arrays only). */
    private static void encodeValue(Encoder e, GgufValue v, String what, int depth) {
        GgufValueType type = v.type();
        Object value = v.value();
        switch (type) {
            case ARRAY -> encodeArray(e, v, what, depth);
            case STRING -> e.string(as(value, String.class, type, what), what);
            case BOOL -> e.u8(as(value, Boolean.class, type, what) ? 1 : 0);
            case FLOAT32 -> e.u32(Float.floatToRawIntBits(float32(as(value, Double.class, type, what), what)));
            case FLOAT64 -> e.u64(Double.doubleToRawLongBits(as(value, Double.class, type, what)));
            default -> integer(e, type, as(value, Long.class, type, what), what);
        }
    }

    private static void encodeArray(Encoder e, GgufValue v, String what, int depth) {
        if (depth >= GgufParser.MAX_ARRAY_DEPTH) {
            throw new IllegalArgumentException(what + ": arrays nested more than " + GgufParser.MAX_ARRAY_DEPTH + " deep");
        }
        GgufValueType element = v.elementType();
        e.u32(element.id());
        switch (element) {
            case STRING -> {
                String[] a = asArray(v.value(), String[].class, element, what);
                e.u64(a.length);
                for (int i = 0; i < a.length; i++) {
                    e.string(Objects.requireNonNull(a[i], what + "[" + i + "]"), what + "[" + i + "]");
                }
            }
            case BOOL -> {
                boolean[] a = asArray(v.value(), boolean[].class, element, what);
                e.u64(a.length);
                for (boolean b : a) {
                    e.u8(b ? 1 : 0);
                }
            }
            case FLOAT32 -> {
                float[] a = asArray(v.value(), float[].class, element, what);
                e.u64(a.length);
                for (float f : a) {
                    e.u32(Float.floatToRawIntBits(f));
                }
            }
            case FLOAT64 -> {
                double[] a = asArray(v.value(), double[].class, element, what);
                e.u64(a.length);
                for (double d : a) {
                    e.u64(Double.doubleToRawLongBits(d));
                }
            }
            case ARRAY -> {
                GgufValue[] a = asArray(v.value(), GgufValue[].class, element, what);
                e.u64(a.length);
                for (int i = 0; i < a.length; i++) {
                    GgufValue nested = Objects.requireNonNull(a[i], what + "[" + i + "]");
                    if (nested.type() != GgufValueType.ARRAY) {
                        throw new IllegalArgumentException(what + "[" + i + "] is a " + nested.type()
                                + " in an array of arrays");
                    }
                    encodeArray(e, nested, what + "[" + i + "]", depth + 1);
                }
            }
            default -> {
                long[] a = asArray(v.value(), long[].class, element, what);
                e.u64(a.length);
                for (long l : a) {
                    integer(e, element, l, what);
                }
            }
        }
    }

    private static void integer(Encoder e, GgufValueType type, long v, String what) {
        boolean fits = switch (type) {
            case UINT8 -> v >= 0 && v <= 0xFF;
            case INT8 -> v == (byte) v;
            case UINT16 -> v >= 0 && v <= 0xFFFF;
            case INT16 -> v == (short) v;
            case UINT32 -> v >= 0 && v <= 0xFFFF_FFFFL;
            case INT32 -> v == (int) v;
            default -> true; // UINT64 (held as its bit pattern) and INT64 take any long
        };
        if (!fits) {
            throw new IllegalArgumentException(what + ": " + v + " is outside the range of " + type);
        }
        for (int i = 0; i < type.minBytes; i++) { // an integer's size is its minimum size
            e.u8((int) (v >>> (8 * i)));
        }
    }

    /** FLOAT32 values are held widened to double; refuse one that would not read back equal. */
    private static float float32(double d, String what) {
        float f = (float) d;
        if (f != d && !Double.isNaN(d)) {
            throw new IllegalArgumentException(what + ": " + d + " is not a FLOAT32 value");
        }
        return f;
    }

    private static <T> T as(Object value, Class<T> expected, GgufValueType type, String what) {
        return as(value, expected, "a " + type + " value", what);
    }

    private static <T> T asArray(Object value, Class<T> expected, GgufValueType element, String what) {
        return as(value, expected, "an array of " + element, what);
    }

    private static <T> T as(Object value, Class<T> expected, String kind, String what) {
        if (!expected.isInstance(value)) {
            throw new IllegalArgumentException(what + ": " + kind + " must be held as "
                    + expected.getSimpleName() + ", not " + value.getClass().getSimpleName());
        }
        return expected.cast(value);
    }

    /** UTF-8 bytes of {@code s}, refusing unpaired surrogates (they would read back as U+FFFD). */
    private static byte[] utf8(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " has an unpaired surrogate at index " + i);
            }
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A growable little-endian byte buffer for the header. */
    private static final class Encoder {
        byte[] buf = new byte[256];
        int length;

        void u8(int v) {
            ensure(1);
            buf[length++] = (byte) v;
        }

        void u32(int v) {
            ensure(4);
            for (int i = 0; i < 4; i++) {
                buf[length++] = (byte) (v >>> (8 * i));
            }
        }

        void u64(long v) {
            ensure(8);
            for (int i = 0; i < 8; i++) {
                buf[length++] = (byte) (v >>> (8 * i));
            }
        }

        void bytes(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, length, b.length);
            length += b.length;
        }

        /** u64 byte length, then UTF-8. */
        void string(String s, String what) {
            byte[] b = utf8(s, what);
            u64(b.length);
            bytes(b);
        }

        private void ensure(int n) {
            if (buf.length - length < n) {
                long want = Math.max((long) buf.length * 2, (long) length + n);
                if (want > Integer.MAX_VALUE - 8) {
                    throw new IllegalArgumentException("GGUF header larger than 2 GiB");
                }
                buf = Arrays.copyOf(buf, (int) want);
            }
        }
    }
}
