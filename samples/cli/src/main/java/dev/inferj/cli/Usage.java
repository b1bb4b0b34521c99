package dev.inferj.cli;

import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Turns a lookup's {@link IllegalArgumentException} (an unknown name, with the choices) into a usage error. */
final class Usage {
    private Usage() {
    }

    static <T> T lookUp(CommandSpec spec, Supplier<T> lookup) {
        try {
            return lookup.get();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
