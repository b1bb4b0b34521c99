package dev.inferj.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** The {@code --threads} option of commands that write files: how many threads, all processors by default. */
final class ThreadCount {
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all processors); the file "
            + "written does not depend on it.")
    Integer threads;

    /** The count asked for or the available processors; a usage error below 1. */
    int resolve(CommandSpec spec) {
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (n < 1) {
            throw new ParameterException(spec.commandLine(), "--threads must be at least 1, was " + n);
        }
        return n;
    }
}
