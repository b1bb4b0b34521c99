package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufValue;
import dev.inferj.gguf.GgufWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionChatTest {
    private static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n"
            + "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";

    @TempDir
    Path dir;

    private Path withTemplate() {
        Path out = dir.resolve("chat.gguf");
        try (GgufFile f = GgufFile.open(SharedData.model("stories260K.gguf"))) {
            GgufWriter.copyOf(f).put("tokenizer.chat_template", GgufValue.ofString(TEMPLATE)).write(out);
        }
        return out;
    }

    @Test
    void chatAnswersWhatTheRenderedPromptContinuesWith() {
        List<ChatMessage> conversation = List.of(ChatMessage.user("Once upon a time"));
        try (Model m = Model.load(withTemplate())) {
            String rendered = m.renderChat(conversation, true);
            assertEquals("<s>user: Once upon a time\nassistant:", rendered);
            GenerateOptions greedy = GenerateOptions.greedy().withMaxTokens(12);
            Generation expected;
            try (Session s = m.newSession()) {
                expected = s.generate(m.tokenizer().encode(rendered, false, true), greedy, null);
            }
            try (Session s = m.newSession()) {
                Generation answer = s.chat(conversation, greedy);
                assertEquals(expected.text(), answer.text());
                assertArrayEquals(expected.tokens(), answer.tokens());
                assertEquals(1, answer.promptTokens()[0], "the template's BOS, not a second one");
            }
        }
    }

    @Test
    void aSecondTurnRunsOnlyWhatTheSessionDoesNotHoldYet() {
        try (Model m = Model.load(withTemplate()); Session s = m.newSession()) {
            GenerateOptions greedy = GenerateOptions.greedy().withMaxTokens(8);
            List<ChatMessage> conversation = new ArrayList<>(List.of(ChatMessage.user("Lily wanted to")));
            Generation first = s.chat(conversation, greedy);
            conversation.add(ChatMessage.assistant(first.text()));
            conversation.add(ChatMessage.user("The little dog"));
            int whole = m.tokenizer().encode(m.renderChat(conversation, true), false, true).length;
            Generation second = s.chat(conversation, greedy);
            assertTrue(second.promptTokens().length <= whole - first.promptTokens().length,
                    "ran " + second.promptTokens().length + " of " + whole + " tokens");
            try (Session fresh = m.newSession()) {
                assertEquals(fresh.chat(conversation, greedy).text(), second.text(), "reusing the prefix changes nothing");
            }
        }
    }

    @Test
    void aModelWithoutATemplateCannotChat() {
        try (Model m = Model.load(SharedData.model("stories260K.gguf")); Session s = m.newSession()) {
            assertFalse(m.hasChatTemplate());
            InferjException e = assertThrows(InferjException.class,
                    () -> s.chat(List.of(ChatMessage.user("hi")), GenerateOptions.greedy()));
            assertTrue(e.getMessage().contains("tokenizer.chat_template"), e.getMessage());
        }
    }
}
