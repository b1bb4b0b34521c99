package dev.inferj.chat;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything besides the messages that a chat template reads.
 *
 * @param addGenerationPrompt {@code add_generation_prompt}: end with the opening of an assistant
 *                            turn, so the model answers next
 * @param bosToken            {@code bos_token}, the text of the model's beginning-of-sequence token
 *                            (empty when it has none)
 * @param eosToken            {@code eos_token}, the text of its end-of-sequence token
 * @param tools               {@code tools}: tool definitions as JSON-like values ({@code {type:
 *                            "function", function: {name, description, parameters}}}), or null to
 *                            leave {@code tools} undefined, as most templates expect without tools
 * @param now                 the clock of {@code strftime_now}; null for the current local time
 * @param extraVariables      further variables some templates read ({@code enable_thinking},
 *                            {@code reasoning_effort}, ...); they override the ones above
 */
public record ChatTemplateOptions(boolean addGenerationPrompt, String bosToken, String eosToken, List<?> tools,
                                  LocalDateTime now, Map<String, ?> extraVariables) {

    public ChatTemplateOptions {
        bosToken = bosToken == null ? "" : bosToken;
        eosToken = eosToken == null ? "" : eosToken;
        tools = tools == null ? null : Collections.unmodifiableList(new ArrayList<>(tools));
        extraVariables = extraVariables == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extraVariables));
    }

    /** A generation prompt, no BOS/EOS text, no tools, the current time, no extra variables. */
    public static ChatTemplateOptions defaults() {
        return new ChatTemplateOptions(true, "", "", null, null, Map.of());
    }

    public ChatTemplateOptions withAddGenerationPrompt(boolean addGenerationPrompt) {
        return new ChatTemplateOptions(addGenerationPrompt, bosToken, eosToken, tools, now, extraVariables);
    }

    public ChatTemplateOptions withBosToken(String bosToken) {
        return new ChatTemplateOptions(addGenerationPrompt, bosToken, eosToken, tools, now, extraVariables);
    }

    public ChatTemplateOptions withEosToken(String eosToken) {
        return new ChatTemplateOptions(addGenerationPrompt, bosToken, eosToken, tools, now, extraVariables);
    }

    public ChatTemplateOptions withTools(List<?> tools) {
        return new ChatTemplateOptions(addGenerationPrompt, bosToken, eosToken, tools, now, extraVariables);
    }

    public ChatTemplateOptions withNow(LocalDateTime now) {
        return new ChatTemplateOptions(addGenerationPrompt, bosToken, eosToken, tools, now, extraVariables);
    }

    /** {@code strftime_now} sees midnight of {@code date}. */
    public ChatTemplateOptions withDate(LocalDate date) {
        return withNow(date == null ? null : date.atStartOfDay());
    }

    public ChatTemplateOptions withExtraVariables(Map<String, ?> extraVariables) {
        return new ChatTemplateOptions(addGenerationPrompt, bosToken, eosToken, tools, now, extraVariables);
    }
}
