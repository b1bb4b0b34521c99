package dev.inferj.cli;

import dev.inferj.PublicApi;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PublicApiOnlyTest {
    @Test
    void usesOnlyWhatInferjExports() {
        PublicApi.assertOnlyExportedPackagesUsed(Path.of("target/classes"));
    }
}
