package dev.inferj.cli;

import dev.inferj.InferjException;
import dev.inferj.Model;
import dev.inferj.ModelInfo;
import dev.inferj.ModelOptions;
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

/** {@code inferj inspect}: the metadata and tensor directory of a GGUF file, and whether inferj runs it. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "List the metadata and tensors of a GGUF file, "
        + "then say whether inferj can run it and, if not, why.")
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
            if ("adapter".equals(f.getString("general.type", null))) {
                out.println(adapterSummary(f));
                out.flush();
                return 0;
            }
        }
        out.println(support());
        out.flush();
        return 0;
    }

    /** What a LoRA adapter adapts: its architecture, rank, alpha and target matrices (by kind, over how many blocks). */
    private static String adapterSummary(GgufFile f) {
        java.util.Set<String> kinds = new java.util.TreeSet<>();
        java.util.Set<String> blocks = new java.util.TreeSet<>();
        long rank = 0;
        for (GgufTensorInfo t : f.tensors()) {
            if (t.name().endsWith(".lora_a")) {
                String base = t.name().substring(0, t.name().length() - ".lora_a".length()).replaceFirst("\\.weight$", "");
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("^blk\\.(\\d+)\\.(.*)$").matcher(base);
                if (m.matches()) {
                    blocks.add(m.group(1));
                    kinds.add(m.group(2));
                } else {
                    kinds.add(base);
                }
                rank = Math.max(rank, t.rank() > 1 ? t.dim(1) : 0);
            }
        }
        return "LoRA adapter (" + f.getString("adapter.type", "?") + ") for " + f.getString("general.architecture", "?")
                + ": rank " + rank + ", alpha " + f.getDouble("adapter.lora.alpha", 0) + ", targets " + String.join(", ", kinds)
                + " in " + blocks.size() + " blocks; apply with generate --lora FILE or --lora-scaled FILE SCALE";
    }

    /** Loads the model as a session would (mapped, not tiled: quick) and says whether that worked. */
    private String support() {
        try (Model m = Model.load(file, ModelOptions.defaults().withTileWeights(false).withThreads(1).withContextLength(16))) {
            ModelInfo info = m.info();
            return "supported: yes (" + info.architecture() + ", layers " + info.parameterLayers() + ", vocabulary "
                    + info.vocabularySize() + ")";
        } catch (InferjException e) {
            return "supported: no: " + e.getMessage();
        }
    }
}
