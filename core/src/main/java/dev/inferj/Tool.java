package dev.inferj;

import dev.inferj.chat.JsonReader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A function the model may call, as OpenAI's function tools describe one: its name, what it does, and the
 * JSON Schema of its arguments (an object). The chat template shows it to the model; the model's calls come
 * back in {@link Generation#toolCalls()}, their arguments valid under the schema.
 *
 * @param name           letters, digits, '_', '-' and '.'
 * @param description    what the function does, for the model; may be empty
 * @param parametersJson the JSON Schema of the arguments object
 */
public record Tool(String name, String description, String parametersJson) {

    public Tool {
        Objects.requireNonNull(name, "name");
        if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("a tool name has 1 to 64 letters, digits, '_', '-' or '.', not '" + name + "'");
        }
        description = description == null ? "" : description;
        Objects.requireNonNull(parametersJson, "parametersJson");
        Object schema;
        try {
            schema = JsonReader.parse(parametersJson);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the parameters of tool " + name + " are not JSON: " + e.getMessage());
        }
        if (!(schema instanceof Map<?, ?>)) {
            throw new IllegalArgumentException("the parameters of tool " + name + " must be a JSON Schema object");
        }
    }

    public static Tool function(String name, String description, String parametersJson) {
        return new Tool(name, description, parametersJson);
    }

    /** As chat templates read a tool: {@code {type: "function", function: {name, description, parameters}}}. */
    Map<String, Object> forTemplate() {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        function.put("description", description);
        function.put("parameters", JsonReader.parse(parametersJson));
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", function);
        return tool;
    }
}
