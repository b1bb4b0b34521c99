package dev.inferj.spring;

import dev.inferj.Model;
import dev.inferj.ModelOptions;
import java.nio.file.Files;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * With {@code inferj.model.path} set: a {@link Model} bean loaded at start-up (a bad path or file stops the start
 * with a message naming the property), closed on shutdown; a Spring AI {@link ChatModel} over it; and, with
 * Spring Boot's health module present, a health indicator.
 */
@AutoConfiguration
@ConditionalOnProperty(prefix = "inferj.model", name = "path")
@EnableConfigurationProperties(InferjProperties.class)
public class InferjAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Model inferjModel(InferjProperties properties) {
        if (!Files.isRegularFile(properties.path()) || !Files.isReadable(properties.path())) {
            throw new IllegalStateException("inferj.model.path: " + properties.path().toAbsolutePath()
                    + " is not a readable file");
        }
        if (properties.threads() < 0 || properties.contextLength() < 0) {
            throw new IllegalStateException("inferj.model.threads and inferj.model.context-length must not be negative");
        }
        ModelOptions options = ModelOptions.defaults().withContextLength(properties.contextLength())
                .withTileCache(properties.tileCache());
        return Model.load(properties.path(), properties.threads() > 0 ? options.withThreads(properties.threads()) : options);
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean(ChatModel.class)
    public InferjSpringChatModel inferjChatModel(Model model) {
        return new InferjSpringChatModel(model, model.generateDefaults().withMaxTokens(model.info().sessionContextLength()));
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "inferjHealthIndicator")
        InferjHealthIndicator inferjHealthIndicator(Model model) {
            return new InferjHealthIndicator(model);
        }
    }
}
