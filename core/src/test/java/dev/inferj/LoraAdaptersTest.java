package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import dev.inferj.model.OffHeap;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapters on one base model: switching, sharing between concurrent sessions, and every kind of bad adapter refused. */
class LoraAdaptersTest {
    private static final GenerateOptions GREEDY = GenerateOptions.greedy().withMaxTokens(24).withStopAtEndOfGeneration(false);

    @TempDir
    Path dir;

    private static Path adapter() {
        return SharedData.root().resolve("lora/adapters/stories260K-lora-qv-r8.gguf");
    }

    private static Model stories() {
        return Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(64));
    }

    private static int[] solo(Model m, List<LoraAdapter.Scaled> adapters) {
        try (Session s = m.newSession()) {
            s.setAdapters(adapters);
            return s.generate("Once upon a time", GREEDY).tokens();
        }
    }

    @Test
    void sessionsWithDifferentAdaptersRunTogetherAndEachEqualsItsSoloRun() throws Exception {
        try (Model m = stories()) {
            LoraAdapter qv = m.loadAdapter(adapter());
            List<List<LoraAdapter.Scaled>> sets = List.of(List.of(), List.of(qv.scaled(1f)), List.of(qv.scaled(0.5f)),
                    List.of(qv.scaled(-0.8f)), List.of(qv.scaled(1f), qv.scaled(-0.8f)));
            List<int[]> expected = new ArrayList<>();
            for (List<LoraAdapter.Scaled> set : sets) {
                expected.add(solo(m, set));
            }
            assertNotEquals(List.of(expected.get(0)), List.of(expected.get(1)));
            try (ExecutorService pool = Executors.newFixedThreadPool(sets.size())) {
                List<Future<int[]>> runs = new ArrayList<>();
                for (List<LoraAdapter.Scaled> set : sets) {
                    runs.add(pool.submit((Callable<int[]>) () -> solo(m, set)));
                }
                for (int i = 0; i < sets.size(); i++) {
                    assertArrayEquals(expected.get(i), runs.get(i).get(), "adapter set " + i);
                }
            }
            // switching back and forth in one session, which starts over at each change
            try (Session s = m.newSession()) {
                s.setAdapters(List.of(qv.scaled(0.5f)));
                s.generate("Once upon a time", GREEDY);
                s.setAdapters(List.of());
                assertEquals(0, s.position());
                assertArrayEquals(expected.get(0), s.generate("Once upon a time", GREEDY).tokens());
            }
        }
    }

    @Test
    void anAdapterOfAnotherModelCannotBeApplied() {
        try (Model a = stories(); Model b = stories(); Session s = b.newSession()) {
            LoraAdapter qv = a.loadAdapter(adapter());
            assertThrows(IllegalArgumentException.class, () -> s.setAdapters(List.of(qv.scaled(1f))));
        }
    }

    /** A copy of the adapter with {@code edit} applied to its writer. */
    private Path edited(String name, Consumer<GgufWriter> edit) {
        Path out = dir.resolve(name + ".gguf");
        try (GgufFile f = GgufFile.open(adapter())) {
            GgufWriter w = GgufWriter.copyOf(f);
            edit.accept(w);
            w.write(out);
        }
        return out;
    }

    /** An adapter's off-heap copies are counted while it is loaded and freed with its model, as the model's own are. */
    @Test
    void adaptersAreFreedWithTheirModel() {
        long before = OffHeap.liveBytes();
        Model m = stories();
        long model = OffHeap.liveBytes();
        m.loadAdapter(adapter());
        assertTrue(OffHeap.liveBytes() > model, "the adapter's copies of its B factors are counted");
        m.close();
        assertEquals(before, OffHeap.liveBytes(), "off-heap bytes after the model's close");
    }

    @Test
    void badAdaptersAreRefusedNamingTheProblemAndLeaveTheBaseAsItWas() throws IOException {
        String qa = "blk.0.attn_q.weight.lora_a";
        Path unknown = edited("unknown", w -> {
            try (GgufFile f = GgufFile.open(adapter())) {
                for (String factor : List.of("lora_a", "lora_b")) {
                    GgufTensorInfo t = f.tensor("blk.0.attn_q.weight." + factor);
                    w.removeTensor(t.name()).addTensor("blk.0.attn_zz.weight." + factor, t.type(), t.dims(), copy(f, t));
                }
            }
        });
        Path wrongShape = edited("shape", w -> {
            try (GgufFile f = GgufFile.open(adapter())) {
                GgufTensorInfo t = f.tensor(qa);
                long[] dims = t.dims().clone();
                dims[0] /= 2;
                dims[1] *= 2;
                w.removeTensor(qa).addTensor(qa, t.type(), dims, copy(f, t));
            }
        });
        Path nan = edited("nan", w -> {
            try (GgufFile f = GgufFile.open(adapter())) {
                GgufTensorInfo t = f.tensor(qa);
                MemorySegment data = copy(f, t);
                data.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * 5, Float.NaN);
                w.removeTensor(qa).addTensor(qa, t.type(), t.dims(), data);
            }
        });
        Path notAdapter = edited("model", w -> w.replace("general.type", GgufValue.ofString("model")));
        Path truncated = dir.resolve("truncated.gguf");
        byte[] bytes = Files.readAllBytes(adapter());
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length - 1000));
        try (Model m = stories(); Session s = m.newSession()) {
            float[] before = s.evaluate(1, 400, 300);
            assertRefused(m, unknown, "blk.0.attn_zz.weight");
            assertRefused(m, wrongShape, qa);
            assertRefused(m, nan, "NaN");
            assertRefused(m, notAdapter, "not a LoRA adapter");
            assertThrows(InferjException.class, () -> m.loadAdapter(truncated));
            s.reset();
            assertArrayEquals(before, s.evaluate(1, 400, 300), "the base model is untouched");
        }
    }

    private static MemorySegment copy(GgufFile f, GgufTensorInfo t) {
        MemorySegment data = Arena.ofAuto().allocate(t.byteSize());
        data.copyFrom(f.data(t));
        return data;
    }

    private static void assertRefused(Model m, Path file, String what) {
        InferjException e = assertThrows(InferjException.class, () -> m.loadAdapter(file));
        assertTrue(e.getMessage().contains(what) && e.getMessage().contains(file.toString()), e.getMessage());
    }
}
