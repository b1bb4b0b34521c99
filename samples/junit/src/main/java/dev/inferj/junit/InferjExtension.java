package dev.inferj.junit;

import dev.inferj.GenerateOptions;
import dev.inferj.Model;
import dev.inferj.ModelForge;
import dev.inferj.ModelOptions;
import dev.inferj.Session;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestInstancePostProcessor;

/**
 * Injects inferj into JUnit Jupiter tests ({@code @ExtendWith(InferjExtension.class)}): a {@link Model} (one load
 * per JVM for each {@link InferjModel}, shared by every test class, closed when the run ends), a fresh
 * {@link Session} for each test (closed after it), and {@link GenerateOptions} that sample deterministically
 * (llama.cpp's defaults with seed 0), so a prompt pipeline's test gives the same output on every run. Fields
 * and parameters without {@link InferjModel} get the default: a forged tiny model.
 */
public final class InferjExtension implements ParameterResolver, TestInstancePostProcessor {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(InferjExtension.class);
    /** The seed of the injected {@link GenerateOptions}. */
    public static final long SEED = 0;

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == Model.class || type == Session.class || type == GenerateOptions.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        if (type == GenerateOptions.class) {
            return GenerateOptions.defaults().withSeed(SEED);
        }
        InferjModel which = parameter.findAnnotation(InferjModel.class).orElse(null);
        return type == Model.class ? model(which, context) : session(which, context);
    }

    @Override
    public void postProcessTestInstance(Object instance, ExtensionContext context) throws IllegalAccessException {
        for (Class<?> c = instance.getClass(); c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                InferjModel which = f.getAnnotation(InferjModel.class);
                if (which != null && (f.getType() == Model.class || f.getType() == Session.class)) {
                    f.setAccessible(true);
                    f.set(instance, f.getType() == Model.class ? model(which, context) : session(which, context));
                }
            }
        }
    }

    private static Model model(InferjModel which, ExtensionContext context) {
        String path = which == null ? "" : which.path();
        String forge = which == null ? "tiny" : which.forge();
        int contextLength = which == null ? 512 : which.contextLength();
        String key = (path.isEmpty() ? "forge:" + forge : "file:" + Path.of(path).toAbsolutePath().normalize()) + "@" + contextLength;
        ExtensionContext.Store store = context.getRoot().getStore(NAMESPACE);
        return store.getOrComputeIfAbsent(key, k -> new Loaded(path, forge, contextLength), Loaded.class).model;
    }

    private static Session session(InferjModel which, ExtensionContext context) {
        Session session = model(which, context).newSession();
        context.getStore(NAMESPACE).put(new Object(), (AutoCloseable) session::close); // closed with the test
        return session;
    }

    /** A model loaded for the whole run; a forged one lives in a temporary file removed with it. */
    private static final class Loaded implements AutoCloseable {
        final Model model;
        private final Path forged;

        Loaded(String path, String forge, int contextLength) {
            try {
                forged = path.isEmpty() ? Files.createTempFile("inferj-" + forge, ".gguf") : null;
                if (forged != null) {
                    ModelForge.write(forge, "q8_0", 1, forged);
                }
                model = Model.load(forged != null ? forged : Path.of(path), ModelOptions.defaults().withContextLength(contextLength));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot forge a " + forge + " model: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            model.close();
            if (forged != null) {
                Files.deleteIfExists(forged);
            }
        }
    }
}
