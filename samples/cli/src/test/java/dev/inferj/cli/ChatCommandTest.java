package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.SharedData;
import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChatCommandTest {
    private final InputStream stdin = System.in;
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @TempDir
    Path dir;

    @AfterEach
    void restoreStdin() {
        System.setIn(stdin);
    }

    private int chat(String input, String... args) {
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        return Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void eachLineGetsAStreamedReplyFollowedByABlankLine() {
        Path model = dir.resolve("chat.gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("stories260K.gguf"))) {
            GgufWriter.copyOf(f).put("tokenizer.chat_template", GgufValue.ofString(
                    "{% for m in messages %}{{ m.content }}{% endfor %}")).write(model);
        }
        int code = chat("Once upon a time\n\nThe little dog\n", "chat", "-m", model.toString(), "-n", "6", "--temp", "0");
        assertEquals(0, code, err.toString());
        String[] replies = out.toString().split("\n\n", -1);
        assertEquals(3, replies.length, out.toString()); // two replies, then what follows the last blank line
        assertTrue(replies[0].startsWith(", there was"), replies[0]);
        assertEquals("", replies[2]);
    }

    @Test
    void aModelWithoutATemplateIsOneLineOnStderr() {
        int code = chat("hi\n", "chat", "-m", SharedData.model("stories260K.gguf").toString());
        assertNotEquals(0, code);
        assertTrue(err.toString().contains("no chat template"), err.toString());
        assertEquals(1, err.toString().lines().filter(l -> l.startsWith("inferj:")).count(), err.toString());
    }
}
