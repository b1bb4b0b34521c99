package dev.inferj.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.inferj.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every GGUF file of the shared test data (the models and the vocabulary-only files) parses, and
 * rewriting it with {@link GgufWriter#copyOf} reproduces it byte for byte: our writer lays files
 * out exactly as llama.cpp's tools do.
 */
class GgufSharedFilesTest {
    @TempDir
    Path tmp;

    @TestFactory
    Stream<DynamicTest> everySharedFileParsesAndRewritesIdentically() throws IOException {
        Path root = SharedData.root();
        List<Path> files;
        try (Stream<Path> models = Files.list(root.resolve("models"));
             Stream<Path> vocabs = Files.list(root.resolve("tokenizer").resolve("vocab"))) {
            files = Stream.concat(models, vocabs).filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no .gguf files under " + root);
        return files.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> rewrite(p)));
    }

    private void rewrite(Path original) throws IOException {
        Path copy = tmp.resolve(original.getFileName());
        try (GgufFile in = GgufFile.open(original)) {
            GgufWriter.copyOf(in).write(copy);
            try (GgufFile out = GgufFile.open(copy)) {
                assertEquals(in.version(), out.version());
                assertEquals(List.copyOf(in.metadata().entrySet()), List.copyOf(out.metadata().entrySet()));
                assertEquals(in.tensors(), out.tensors());
                for (GgufTensorInfo t : in.tensors()) {
                    assertEquals(-1, in.data(t).mismatch(out.data(out.tensor(t.name()))), t.name());
                }
                assertEquals(in.contents().byteSize(), out.contents().byteSize(), "file size");
                assertEquals(-1, in.contents().mismatch(out.contents()), "first differing byte");
            }
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    @TestFactory
    Stream<DynamicTest> copyOfToByteArrayMatchesTheFileOnDisk() throws IOException {
        // the in-memory path, on one model and one vocabulary (the full set goes through write(Path) above)
        Path root = SharedData.root();
        return Stream.of(root.resolve("models/stories260K.gguf"), root.resolve("tokenizer/vocab/ggml-vocab-llama-spm.gguf"))
                .filter(Files::exists)
                .map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> {
                    try (GgufFile in = GgufFile.open(p)) {
                        assertArrayEquals(Files.readAllBytes(p), GgufWriter.copyOf(in).toByteArray());
                    }
                }));
    }
}
