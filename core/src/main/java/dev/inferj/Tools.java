package dev.inferj;

import java.util.List;
import java.util.Objects;

/**
 * The tools a chat turn offers the model, and whether it may, must or must not call them.
 *
 * @param functions the tools, shown to the model through its chat template
 * @param choice    {@link Choice#AUTO}: the model answers or calls; {@link Choice#REQUIRED}: it calls at least one;
 *                  {@link Choice#NONE}: it sees them and answers in text
 */
public record Tools(List<Tool> functions, Choice choice) {

    /** Whether the model may call the tools. */
    public enum Choice {
        AUTO,
        REQUIRED,
        NONE
    }

    public Tools {
        functions = List.copyOf(functions);
        Objects.requireNonNull(choice, "choice");
        if (functions.isEmpty()) {
            throw new IllegalArgumentException("give at least one tool");
        }
        if (functions.stream().map(Tool::name).distinct().count() != functions.size()) {
            throw new IllegalArgumentException("two tools have the same name");
        }
    }

    public static Tools auto(List<Tool> functions) {
        return new Tools(functions, Choice.AUTO);
    }

    public static Tools required(List<Tool> functions) {
        return new Tools(functions, Choice.REQUIRED);
    }
}
