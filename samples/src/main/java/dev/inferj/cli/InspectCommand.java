package dev.inferj.cli;

import dev.inferj.gguf.GgufFile;
import dev.inferj.gguf.GgufTensorInfo;
import dev.inferj.gguf.GgufValue;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inferj inspect}: the metadata and tensor directory of a GGUF file. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "List the metadata and tensors of a GGUF file.")
final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "GGUF file.")
    Path file;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (GgufFile f = GgufFile.open(file)) {
            out.printf("%s: GGUF v%d, %d metadata keys, %d tensors, data at %d (alignment %d)%n",
                    file, f.version(), f.metadata().size(), f.tensors().size(), f.dataStart(), f.alignment());
            for (Map.Entry<String, GgufValue> e : f.metadata().entrySet()) {
                String v = e.getValue().toString();
                out.printf("  %-40s %s%n", e.getKey(), v.length() > 160 ? v.substring(0, 160) + "..." : v.replace("\n", "\\n"));
            }
            for (GgufTensorInfo t : f.tensors()) {
                out.printf("  %-40s %-6s %-24s %12d bytes @ %d%n", t.name(), t.type(), Arrays.toString(t.dims()),
                        t.byteSize(), f.dataStart() + t.offset());
            }
        }
        out.flush();
        return 0;
    }
}
