package dev.inferj.quarkus;

import dev.inferj.Model;
import dev.inferj.ModelOptions;
import dev.inferj.langchain4j.InferjChatModel;
import dev.inferj.langchain4j.InferjStreamingChatModel;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Makes inferj injectable in a Quarkus application without an extension: the {@link Model} named by
 * {@code inferj.model.path} (loaded once, closed at shutdown) and LangChain4j's {@link ChatModel} and
 * {@link StreamingChatModel} over it, for {@code @Inject} or LangChain4j's {@code AiServices}.
 */
@ApplicationScoped
public class InferjProducer {

    @Produces
    @Singleton
    Model model(@ConfigProperty(name = "inferj.model.path") Path path,
            @ConfigProperty(name = "inferj.model.context-length", defaultValue = "0") int contextLength) {
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("inferj.model.path: " + path.toAbsolutePath() + " is not a readable file");
        }
        return Model.load(path, ModelOptions.defaults().withContextLength(contextLength));
    }

    void close(@Disposes Model model) {
        model.close();
    }

    @Produces
    @Singleton
    InferjChatModel chatModel(Model model) {
        return new InferjChatModel(model);
    }

    void close(@Disposes InferjChatModel chat) {
        chat.close();
    }

    @Produces
    @Singleton
    InferjStreamingChatModel streamingChatModel(Model model) {
        return new InferjStreamingChatModel(model);
    }

    void close(@Disposes InferjStreamingChatModel chat) {
        chat.close();
    }
}
