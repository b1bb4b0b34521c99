package dev.inferj;

import dev.inferj.chat.JsonReader;
import dev.inferj.grammar.JsonSchemaGrammar;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a family of chat templates has the model write its tool calls, told apart by what the template
 * itself writes: Hermes and Qwen put {@code <tool_call>{"name": ..., "arguments": {...}}</tool_call>},
 * Mistral {@code [TOOL_CALLS][{"name": ..., "arguments": {...}}]}, Llama 3.x a bare
 * {@code {"name": ..., "parameters": {...}}}. Each gives the grammar of its calls (the arguments under each
 * tool's schema, whitespace allowed around the envelope as models write it) and parses them back.
 */
enum ToolCallFormat {
    HERMES("<tool_call>", "arguments"),
    MISTRAL("[TOOL_CALLS]", "arguments"),
    LLAMA3("{\"name\"", "parameters");

    private static final Pattern HERMES_CALL = Pattern.compile("<tool_call>(.*?)</tool_call>", Pattern.DOTALL);
    private static final SecureRandom IDS = new SecureRandom();
    private static final String ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /** The text that opens the calls: a lazily constrained generation is free until the model writes it. */
    final String trigger;
    private final String argumentsKey;

    ToolCallFormat(String trigger, String argumentsKey) {
        this.trigger = trigger;
        this.argumentsKey = argumentsKey;
    }

    /** The format a template writes tool calls in, or null when it shows none of them. */
    static ToolCallFormat of(String templateSource) {
        if (templateSource.contains("<tool_call>")) {
            return HERMES;
        }
        if (templateSource.contains("[TOOL_CALLS]")) {
            return MISTRAL;
        }
        if (templateSource.contains("<|python_tag|>") || templateSource.contains("\"parameters\": ")) {
            return LLAMA3;
        }
        return null;
    }

    /** The GBNF of one or more calls of {@code tools} (one for Llama 3), from the trigger on. */
    String grammar(List<Tool> tools) {
        List<String> schemas = new ArrayList<>();
        List<String> names = new ArrayList<>();
        StringBuilder calls = new StringBuilder("call ::= ");
        StringBuilder rules = new StringBuilder();
        for (int i = 0; i < tools.size(); i++) {
            schemas.add(tools.get(i).parametersJson());
            names.add("args-" + i);
            calls.append(i > 0 ? " | " : "").append("call-").append(i);
            // Llama 3's call opens with its trigger as written, so that a lazily constrained call starts there
            String open = this == LLAMA3 ? "\"{\\\"name\\\"\"" : "\"{\" ws \"\\\"name\\\"\"";
            rules.append("call-").append(i).append(" ::= ").append(open).append(" ws \":\" ws \"\\\"").append(tools.get(i).name())
                    .append("\\\"\" ws \",\" ws \"\\\"").append(argumentsKey).append("\\\"\" ws \":\" ws args-").append(i)
                    .append(" ws \"}\"\n");
        }
        String root = switch (this) {
            case HERMES -> "root ::= \"<tool_call>\" ws call ws \"</tool_call>\" (ws \"<tool_call>\" ws call ws \"</tool_call>\")*\n";
            case MISTRAL -> "root ::= \"[TOOL_CALLS]\" ws \"[\" ws call (ws \",\" ws call)* ws \"]\"\n";
            case LLAMA3 -> "root ::= call\n";
        };
        return root + calls + "\n" + rules + "ws ::= [ \\t\\n]{0,3}\n" + JsonSchemaGrammar.toGbnfRules(schemas, names);
    }

    /** A reply split into its text and its calls. */
    record Parsed(String content, List<ChatMessage.ToolCall> calls) {
    }

    /**
     * The text before the calls and the calls, or the whole text and no calls where it has none.
     *
     * @throws InferjException when the text has calls that do not parse
     */
    Parsed parse(String text) {
        int at = text.indexOf(trigger);
        if (at < 0) {
            return new Parsed(text, List.of());
        }
        String content = text.substring(0, at).strip();
        List<ChatMessage.ToolCall> calls = new ArrayList<>();
        switch (this) {
            case HERMES -> {
                Matcher m = HERMES_CALL.matcher(text.substring(at));
                int end = 0;
                while (m.find()) {
                    calls.add(call(m.group(1)));
                    end = m.end();
                }
                if (calls.isEmpty() || !text.substring(at + end).strip().isEmpty()) {
                    throw malformed(text.substring(at));
                }
            }
            case MISTRAL -> {
                if (!(json(text.substring(at + trigger.length())) instanceof List<?> list)) {
                    throw malformed(text.substring(at));
                }
                for (Object call : list) {
                    calls.add(call(call, text));
                }
            }
            case LLAMA3 -> calls.add(call(text.substring(at)));
        }
        return new Parsed(content, calls);
    }

    private ChatMessage.ToolCall call(String json) {
        return call(json(json), json);
    }

    private ChatMessage.ToolCall call(Object call, String text) {
        if (call instanceof Map<?, ?> m && m.get("name") instanceof String name && m.get(argumentsKey) instanceof Map<?, ?> args) {
            @SuppressWarnings("unchecked")
            Map<String, Object> arguments = (Map<String, Object>) args;
            return new ChatMessage.ToolCall(newId(), name, arguments);
        }
        throw malformed(text);
    }

    private Object json(String text) {
        try {
            return JsonReader.parse(text.strip());
        } catch (IllegalArgumentException e) {
            throw malformed(text);
        }
    }

    private InferjException malformed(String text) {
        return new InferjException("the model's tool call is malformed (" + name() + " format, expecting {\"name\": ..., \""
                + argumentsKey + "\": {...}}): " + (text.length() > 200 ? text.substring(0, 200) + "..." : text));
    }

    /** Nine letters and digits, the shape Mistral's templates require of call ids (and fine for the others). */
    private static String newId() {
        StringBuilder id = new StringBuilder(9);
        for (int i = 0; i < 9; i++) {
            id.append(ID_CHARS.charAt(IDS.nextInt(ID_CHARS.length())));
        }
        return id.toString();
    }
}
