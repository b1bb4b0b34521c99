package dev.inferj;

import static org.junit.jupiter.api.Assertions.fail;

import dev.inferj.ggml.GgmlType;
import dev.inferj.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Holds code built on inferj to what inferj's modules export to everyone. The samples compile on the class path, where
 * javac lets them reach any package; this check reads their class files and fails on a reference into a package that
 * core, kernels or tokenizer keep to themselves (or export only to named friends).
 */
public final class PublicApi {
    private PublicApi() {
    }

    /** Fails naming each class under {@code classes} that refers to a class in a package inferj does not export. */
    public static void assertOnlyExportedPackagesUsed(Path classes) {
        Map<String, String> internal = internalPackages();
        TreeSet<String> reaches = new TreeSet<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                ClassModel model = ClassFile.of().parse(file);
                for (PoolEntry e : model.constantPool()) {
                    if (e instanceof ClassEntry c) {
                        String name = c.asInternalName().replaceFirst("^\\[*L?", "").replace(';', ' ').strip();
                        int slash = name.lastIndexOf('/');
                        String pkg = slash < 0 ? "" : name.substring(0, slash).replace('/', '.');
                        if (internal.containsKey(pkg)) {
                            String user = model.thisClass().asInternalName().replace('/', '.');
                            reaches.add(user + " uses " + name.replace('/', '.') + " (module " + internal.get(pkg)
                                    + " does not export " + pkg + ")");
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!reaches.isEmpty()) {
            fail("reaches into inferj's internals:\n  " + String.join("\n  ", reaches));
        }
    }

    /** The packages of inferj's modules that are not exported to everyone, with their module's name. */
    private static Map<String, String> internalPackages() {
        Map<String, String> internal = new HashMap<>();
        for (Class<?> c : List.of(Model.class, GgmlType.class, Tokenizer.class)) {
            ModuleDescriptor d = descriptorOf(c);
            for (String p : d.packages()) {
                if (d.exports().stream().noneMatch(x -> x.source().equals(p) && !x.isQualified())) {
                    internal.put(p, d.name());
                }
            }
        }
        return internal;
    }

    /** The module descriptor in the jar (or classes folder) {@code c} was loaded from, on the class path too. */
    private static ModuleDescriptor descriptorOf(Class<?> c) {
        try {
            Path location = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            return ModuleFinder.of(location).findAll().stream().findFirst()
                    .orElseThrow(() -> new IllegalStateException(location + " holds no module"))
                    .descriptor();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
