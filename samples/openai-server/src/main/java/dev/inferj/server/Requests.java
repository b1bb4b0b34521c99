package dev.inferj.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.inferj.ChatMessage;
import dev.inferj.GenerateOptions;
import dev.inferj.Tool;
import dev.inferj.Tools;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the parts of an OpenAI request body that inferj honours; anything it cannot honour is a 400 naming it. */
final class Requests {
    static final ObjectMapper JSON = new ObjectMapper();

    private Requests() {
    }

    static JsonNode parse(byte[] body) {
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiException.invalid("the request body must be a JSON object", null);
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ApiException.invalid("the request body is not valid JSON: " + e.getOriginalMessage(), null);
        } catch (java.io.IOException e) {
            throw ApiException.invalid("the request body cannot be read: " + e.getMessage(), null);
        }
    }

    /** The conversation of a chat completion request. */
    static List<ChatMessage> messages(JsonNode request) {
        JsonNode messages = request.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw ApiException.invalid("'messages' must be a non-empty array", "messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            out.add(message(messages.get(i), "messages[" + i + "]"));
        }
        return out;
    }

    private static ChatMessage message(JsonNode m, String where) {
        String role = text(m, "role", where);
        String content = content(m.get("content"), where + ".content");
        return switch (role) {
            case "system", "developer" -> ChatMessage.system(content);
            case "user" -> ChatMessage.user(content);
            case "assistant" -> m.has("tool_calls") && !m.get("tool_calls").isNull()
                    ? ChatMessage.assistant(content, toolCalls(m.get("tool_calls"), where + ".tool_calls"))
                    : ChatMessage.assistant(content);
            case "tool" -> ChatMessage.tool(m.hasNonNull("name") ? m.get("name").asText() : null,
                    text(m, "tool_call_id", where), content);
            default -> throw ApiException.invalid(where + ".role '" + role + "' is not one of system, developer, user, "
                    + "assistant, tool", where + ".role");
        };
    }

    /** A string, or an array of text parts joined; null stays null (an assistant message with tool calls). */
    private static String content(JsonNode content, String where) {
        if (content == null || content.isNull()) {
            return null;
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw ApiException.invalid(where + " must be a string or an array of text parts", where);
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                throw ApiException.invalid(where + ": only text parts are supported, not " + part.path("type"), where);
            }
            text.append(part.get("text").asText());
        }
        return text.toString();
    }

    private static List<ChatMessage.ToolCall> toolCalls(JsonNode calls, String where) {
        List<ChatMessage.ToolCall> out = new ArrayList<>();
        for (JsonNode call : calls) {
            JsonNode function = call.path("function");
            String arguments = function.path("arguments").asText("{}");
            Map<String, Object> parsed;
            try {
                parsed = JSON.readValue(arguments.isBlank() ? "{}" : arguments, LinkedHashMap.class);
            } catch (JsonProcessingException e) {
                throw ApiException.invalid(where + ": arguments of '" + function.path("name").asText()
                        + "' are not a JSON object", where);
            }
            out.add(new ChatMessage.ToolCall(call.path("id").asText(null), text(function, "name", where + ".function"), parsed));
        }
        return out;
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw ApiException.invalid(where + "." + field + " must be a string", where + "." + field);
        }
        return v.asText();
    }

    /** The request's function tools and tool_choice, or null without tools (or with tool_choice "none" and none forced). */
    static Tools tools(JsonNode request) {
        JsonNode tools = request.get("tools");
        if (tools == null || tools.isNull() || tools.isEmpty()) {
            return null;
        }
        if (!tools.isArray()) {
            throw ApiException.invalid("'tools' must be an array", "tools");
        }
        List<Tool> functions = new ArrayList<>();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String where = "tools[" + i + "]";
            if (!"function".equals(tool.path("type").asText())) {
                throw ApiException.invalid(where + ".type must be \"function\"", where + ".type");
            }
            JsonNode f = tool.path("function");
            JsonNode parameters = f.hasNonNull("parameters") ? f.get("parameters") : JSON.createObjectNode().put("type", "object");
            try {
                functions.add(Tool.function(text(f, "name", where + ".function"), f.path("description").asText(""), parameters.toString()));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(where + ": " + e.getMessage(), where);
            }
        }
        JsonNode choice = request.get("tool_choice");
        if (choice == null || choice.isNull() || choice.asText().equals("auto")) {
            return Tools.auto(functions);
        }
        if (choice.isTextual()) {
            return switch (choice.asText()) {
                case "required" -> Tools.required(functions);
                case "none" -> new Tools(functions, Tools.Choice.NONE);
                default -> throw ApiException.invalid("tool_choice '" + choice.asText() + "' is not auto, required or none", "tool_choice");
            };
        }
        String name = choice.path("function").path("name").asText();
        List<Tool> named = functions.stream().filter(t -> t.name().equals(name)).toList();
        if (named.isEmpty()) {
            throw ApiException.invalid("tool_choice names no tool of the request: '" + name + "'", "tool_choice");
        }
        return Tools.required(named);
    }

    /**
     * Sampling and stopping from the request over {@code defaults}: temperature, top_p, seed, stop,
     * frequency and presence penalties, logit_bias, max_tokens (or max_completion_tokens; else what the context
     * holds), response_format, and llama.cpp's top_k, min_p and repeat_penalty.
     */
    static GenerateOptions options(JsonNode request, GenerateOptions defaults, int contextLength) {
        if (request.has("n") && request.get("n").asInt(1) != 1) {
            throw ApiException.invalid("only n = 1 is supported", "n");
        }
        GenerateOptions o = defaults.withMaxTokens(contextLength);
        try {
            JsonNode max = request.hasNonNull("max_completion_tokens") ? request.get("max_completion_tokens") : request.get("max_tokens");
            if (max != null && !max.isNull()) {
                o = o.withMaxTokens(integer(max, "max_tokens"));
            }
            if (request.hasNonNull("temperature")) {
                o = o.withTemperature(number(request.get("temperature"), "temperature"));
            }
            if (request.hasNonNull("top_p")) {
                o = o.withTopP(number(request.get("top_p"), "top_p"));
            }
            if (request.hasNonNull("top_k")) {
                o = o.withTopK(integer(request.get("top_k"), "top_k"));
            }
            if (request.hasNonNull("min_p")) {
                o = o.withMinP(number(request.get("min_p"), "min_p"));
            }
            if (request.hasNonNull("repeat_penalty")) {
                o = o.withRepeatPenalty(number(request.get("repeat_penalty"), "repeat_penalty"));
            }
            if (request.hasNonNull("frequency_penalty")) {
                o = o.withFrequencyPenalty(number(request.get("frequency_penalty"), "frequency_penalty"));
            }
            if (request.hasNonNull("presence_penalty")) {
                o = o.withPresencePenalty(number(request.get("presence_penalty"), "presence_penalty"));
            }
            if (request.hasNonNull("seed")) {
                o = o.withSeed(request.get("seed").asLong());
            }
            if (request.hasNonNull("stop")) {
                o = o.withStopStrings(stops(request.get("stop")));
            }
            if (request.hasNonNull("logit_bias")) {
                o = o.withLogitBias(logitBias(request.get("logit_bias")));
            }
            if (request.hasNonNull("response_format")) {
                o = responseFormat(request.get("response_format"), o);
            }
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(e.getMessage(), null);
        }
        return o;
    }

    private static GenerateOptions responseFormat(JsonNode format, GenerateOptions o) {
        String type = format.path("type").asText();
        return switch (type) {
            case "text" -> o;
            case "json_object" -> o.withJsonSchema("{\"type\":\"object\"}");
            case "json_schema" -> {
                JsonNode schema = format.path("json_schema").get("schema");
                if (schema == null || !schema.isObject()) {
                    throw ApiException.invalid("response_format.json_schema.schema must be a JSON Schema object",
                            "response_format");
                }
                yield o.withJsonSchema(schema.toString());
            }
            default -> throw ApiException.invalid("response_format.type '" + type + "' is not text, json_object or json_schema",
                    "response_format");
        };
    }

    private static List<String> stops(JsonNode stop) {
        if (stop.isTextual()) {
            return List.of(stop.asText());
        }
        if (!stop.isArray()) {
            throw ApiException.invalid("'stop' must be a string or an array of strings", "stop");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode s : stop) {
            if (!s.isTextual()) {
                throw ApiException.invalid("'stop' must be a string or an array of strings", "stop");
            }
            out.add(s.asText());
        }
        return out;
    }

    private static Map<Integer, Float> logitBias(JsonNode bias) {
        Map<Integer, Float> out = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = bias.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            try {
                out.put(Integer.parseInt(e.getKey()), number(e.getValue(), "logit_bias"));
            } catch (NumberFormatException x) {
                throw ApiException.invalid("logit_bias keys must be token ids, not '" + e.getKey() + "'", "logit_bias");
            }
        }
        return out;
    }

    private static float number(JsonNode v, String name) {
        if (!v.isNumber()) {
            throw ApiException.invalid("'" + name + "' must be a number", name);
        }
        return v.floatValue();
    }

    private static int integer(JsonNode v, String name) {
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw ApiException.invalid("'" + name + "' must be an integer", name);
        }
        return v.intValue();
    }
}
