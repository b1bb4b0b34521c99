package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PublicApiTest {
    @Test
    void aReachIntoAnInternalPackageIsNamed() {
        // core's own tests use its internals, as the samples must not
        AssertionError e = assertThrows(AssertionError.class,
                () -> PublicApi.assertOnlyExportedPackagesUsed(Path.of("target/test-classes/dev/inferj/model")));
        assertTrue(e.getMessage().contains("does not export dev.inferj.model"), e.getMessage());
        assertTrue(e.getMessage().contains("does not export dev.inferj.kernels"), e.getMessage());
    }

    @Test
    void theExportedPackagesPass() {
        PublicApi.assertOnlyExportedPackagesUsed(Path.of("target/test-classes/dev/inferj/chat"));
    }
}
