package dev.inferj.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.inferj.GenerateOptions;
import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.SharedData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The extension as a prompt-pipeline test uses it: one load per model for the run, a session per test, repeatable sampling. */
@ExtendWith(InferjExtension.class)
class InferjExtensionTest {
    private static final String STORIES = "../../../shared/models/stories260K.gguf";
    private static Model firstSeen;
    private static Session previousSession;

    @InferjModel(path = STORIES)
    Model stories;

    @BeforeAll
    static void needsSharedData() {
        SharedData.root(); // skips (or fails under CI) without ../shared
    }

    private static void sameModelEverywhere(Model model) {
        if (firstSeen == null) {
            firstSeen = model;
        }
        assertSame(firstSeen, model);
    }

    @Test
    void aFieldAndAParameterNamingOneFileShareOneLoad(@InferjModel(path = STORIES) Model parameter) {
        sameModelEverywhere(stories);
        assertSame(stories, parameter);
    }

    @Test
    void eachTestGetsAFreshSessionAndRepeatableSampling(@InferjModel(path = STORIES) Session session, GenerateOptions options) {
        sameModelEverywhere(stories);
        assertEquals(0, session.position());
        assertNotSame(previousSession, session);
        previousSession = session;
        String first = session.generate("Once upon a time", options.withMaxTokens(12)).text();
        try (Session again = stories.newSession()) {
            assertEquals(first, again.generate("Once upon a time", options.withMaxTokens(12)).text());
        }
        assertEquals(InferjExtension.SEED, options.seed());
    }

    @Test
    void withoutAFileATinyModelIsForged(Model forged, Session session) {
        assertEquals("llama", forged.info().architecture());
        assertEquals(2, forged.info().parameterLayers());
        session.evaluate(1, 2, 3);
        assertEquals(3, session.position());
    }

    @Nested
    class AnotherClass {
        @Test
        void seesTheSameLoad(@InferjModel(path = STORIES) Model model) {
            sameModelEverywhere(model);
        }
    }
}
