package dev.inferj.spring;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code inferj.model.*}: the GGUF file to load and how.
 *
 * @param path          the model file (required: without it no model is configured)
 * @param threads       threads for the kernels (0: all processors)
 * @param contextLength positions each session holds (0: the model's, at most 4096)
 * @param tileCache     a directory where tiled weights are kept between starts, or null
 */
@ConfigurationProperties(prefix = "inferj.model")
public record InferjProperties(Path path, int threads, int contextLength, Path tileCache) {
}
