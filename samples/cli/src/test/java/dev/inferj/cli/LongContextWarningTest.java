package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.Model;
import dev.inferj.Session;
import dev.inferj.SessionOptions;
import dev.inferj.SharedData;
import java.text.MessageFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Sessions longer than the model was trained for log one warning a model (System.Logger "dev.inferj"). Here, on the
 * class path, java.util.logging carries it, as in the command line and most applications.
 */
class LongContextWarningTest {
    @Test
    void aContextLongerThanTrainedWarnsOnce() {
        Logger logger = Logger.getLogger("dev.inferj");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try (Model model = Model.load(SharedData.model("stories260K.gguf"))) {
            int trained = model.info().trainedContextLength();
            try (Session within = model.newSession(SessionOptions.defaults().withContextLength(trained))) {
                assertEquals(List.of(), records, "a session of the trained length warns of nothing");
            }
            try (Session longer = model.newSession(SessionOptions.defaults().withContextLength(trained + 1));
                    Session again = model.newSession(SessionOptions.defaults().withContextLength(4 * trained))) {
                assertEquals(1, records.size(), "one warning a model");
                LogRecord r = records.getFirst();
                assertEquals(Level.WARNING, r.getLevel());
                String text = MessageFormat.format(r.getMessage(), r.getParameters());
                assertTrue(text.contains((trained + 1) + " positions") && text.contains("trained for " + trained), text);
            }
        } finally {
            logger.removeHandler(handler);
        }
    }
}
