package dev.inferj.chat;

import dev.inferj.ChatMessage;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A model's chat template (the Jinja text of {@code tokenizer.chat_template}), parsed once and
 * rendered for each conversation into the exact prompt text the model was trained on.
 *
 * <pre>{@code
 * ChatTemplate template = ChatTemplate.parse(source);
 * String prompt = template.render(
 *         List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi!")),
 *         ChatTemplateOptions.defaults().withBosToken("<s>").withEosToken("</s>"));
 * }</pre>
 *
 * <p>Immutable and thread-safe; each render is independent. A render runs nothing but the template
 * language and stops with a {@link ChatTemplateException} past 1,000,000 loop iterations and macro
 * calls, 8 Mi characters in any string it builds (the output included), 1,000,000 items in a list,
 * 256 Mi characters produced in all, or 100 nested macro calls.
 */
public final class ChatTemplate {
    private final String source;
    private final List<Node> program;
    private final int[] lineStarts;

    private ChatTemplate(String source, List<Node> program, int[] lineStarts) {
        this.source = source;
        this.program = program;
        this.lineStarts = lineStarts;
    }

    /**
     * Parses a template.
     *
     * @throws ChatTemplateException naming the line and column of the first syntax error
     */
    public static ChatTemplate parse(String source) {
        Objects.requireNonNull(source, "source");
        int[] lineStarts = lineStarts(source);
        try {
            return new ChatTemplate(source, Parser.parse(Lexer.tokenize(source)), lineStarts);
        } catch (TemplateError e) {
            throw exception(e, lineStarts);
        }
    }

    /** The template text as given to {@link #parse}. */
    public String source() {
        return source;
    }

    /**
     * Renders a conversation: the template sees {@code messages}, {@code add_generation_prompt},
     * {@code bos_token}, {@code eos_token}, {@code tools} (only when the options have tools) and
     * the options' extra variables.
     *
     * @throws ChatTemplateException when the template refuses the conversation
     *                               ({@link ChatTemplateException#raisedByTemplate()}) or fails on it
     */
    public String render(List<ChatMessage> messages, ChatTemplateOptions options) {
        Objects.requireNonNull(messages, "messages");
        Objects.requireNonNull(options, "options");
        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("messages", new ArrayList<>(messages));
        variables.put("add_generation_prompt", options.addGenerationPrompt());
        variables.put("bos_token", options.bosToken());
        variables.put("eos_token", options.eosToken());
        if (options.tools() != null) {
            variables.put("tools", options.tools());
        }
        variables.putAll(options.extraVariables());
        return render(variables, options.now());
    }

    /**
     * Renders with exactly the given variables, for callers whose messages do not fit
     * {@link ChatMessage} (content given as a list of parts, extra fields such as
     * {@code reasoning_content}). Values may be strings, numbers, booleans, null, maps, lists,
     * arrays and {@link ChatMessage}s; they are copied, never changed.
     *
     * @param now the clock of {@code strftime_now}; null for the current local time
     * @throws IllegalArgumentException for a value of another type
     * @throws ChatTemplateException    when the template refuses the input or fails on it
     */
    public String render(Map<String, ?> variables, LocalDateTime now) {
        Objects.requireNonNull(variables, "variables");
        Scope scope = new Scope(Builtins.GLOBALS);
        for (Map.Entry<String, ?> e : variables.entrySet()) {
            scope.set(e.getKey(), Values.fromJava(e.getValue()));
        }
        Interpreter interpreter = new Interpreter(now != null ? now : LocalDateTime.now());
        try {
            return interpreter.render(program, scope);
        } catch (TemplateError e) {
            throw exception(e, lineStarts);
        } catch (StackOverflowError e) {
            // The nesting limits should prevent this; a render must still never take the thread down.
            throw ChatTemplateException.at(0, 0, "template nested too deeply to render");
        }
    }

    private static int[] lineStarts(String source) {
        int[] starts = new int[16];
        int n = 0;
        starts[n++] = 0;
        for (int i = 0; i < source.length(); i++) {
            if (source.charAt(i) == '\n') {
                if (n == starts.length) {
                    starts = Arrays.copyOf(starts, n * 2);
                }
                starts[n++] = i + 1;
            }
        }
        return Arrays.copyOf(starts, n);
    }

    private static ChatTemplateException exception(TemplateError e, int[] lineStarts) {
        int line = 0;
        int column = 0;
        if (e.offset >= 0) {
            int i = Arrays.binarySearch(lineStarts, e.offset);
            int index = i >= 0 ? i : -i - 2;
            line = index + 1;
            column = e.offset - lineStarts[index] + 1;
        }
        return e.raisedByTemplate ? ChatTemplateException.raised(e.getMessage(), line, column)
                : ChatTemplateException.at(line, column, e.getMessage());
    }
}
