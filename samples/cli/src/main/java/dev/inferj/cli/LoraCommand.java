package dev.inferj.cli;

import dev.inferj.LoraMerge;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inferj lora merge}: LoRA adapters merged into a base model's weights. */
@Command(name = "lora", mixinStandardHelpOptions = true, description = "Work with LoRA adapters.",
        subcommands = LoraCommand.Merge.class)
final class LoraCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "name a subcommand: merge");
    }

    @Command(name = "merge", mixinStandardHelpOptions = true,
            description = "Write BASE with the adapters merged into its weights (W + s·B·A), as llama.cpp's export-lora.")
    static final class Merge implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(arity = "3..*", paramLabel = "BASE ADAPTER[:SCALE]... OUT.gguf",
                description = "The base model, one or more adapters (scale 1 unless given), the file to write.")
        List<String> files;

        @Override
        public Integer call() {
            List<LoraMerge.Adapter> adapters = new ArrayList<>();
            for (String a : files.subList(1, files.size() - 1)) {
                adapters.add(adapter(a));
            }
            Path out = Path.of(files.getLast());
            long start = System.nanoTime();
            LoraMerge.write(Path.of(files.getFirst()), adapters, out);
            PrintWriter err = spec.commandLine().getErr();
            err.printf("wrote %s: %s with %d adapter(s) merged in %.1f s%n", out, files.getFirst(), adapters.size(),
                    (System.nanoTime() - start) / 1e9);
            err.flush();
            return 0;
        }

        /** FILE or FILE:SCALE (a colon followed by something that is not a number is part of the path). */
        private static LoraMerge.Adapter adapter(String arg) {
            int colon = arg.lastIndexOf(':');
            if (colon > 0) {
                try {
                    return new LoraMerge.Adapter(Path.of(arg.substring(0, colon)), Float.parseFloat(arg.substring(colon + 1)));
                } catch (NumberFormatException e) {
                    // a path with a colon
                }
            }
            return new LoraMerge.Adapter(Path.of(arg), 1f);
        }
    }
}
