package dev.inferj.kernels;

import java.lang.System.Logger.Level;

/**
 * Picks the {@link Kernels} implementation once: the Vector API one when the
 * {@code jdk.incubator.vector} module is present and not disabled, else the scalar reference,
 * with one log line saying which and why.
 */
final class KernelProvider {
    static final Kernels INSTANCE = choose();

    private KernelProvider() {
    }

    private static Kernels choose() {
        System.Logger log = System.getLogger("dev.inferj.kernels");
        String forced = System.getProperty("inferj.kernels", "auto");
        if (forced.equals("scalar")) {
            log.log(Level.INFO, "inferj kernels: scalar (forced by -Dinferj.kernels=scalar)");
            return new ScalarKernels();
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            log.log(Level.WARNING, "inferj kernels: scalar, because the jdk.incubator.vector module is absent;"
                    + " run java with --add-modules jdk.incubator.vector for the fast kernels");
            return new ScalarKernels();
        }
        try {
            Kernels k = (Kernels) Class.forName("dev.inferj.kernels.VectorKernels")
                    .getDeclaredConstructor().newInstance();
            log.log(Level.DEBUG, "inferj kernels: " + k.name());
            return k;
        } catch (ReflectiveOperationException | LinkageError e) {
            log.log(Level.WARNING, "inferj kernels: scalar, because the Vector API kernels failed to start: " + e);
            return new ScalarKernels();
        }
    }
}
