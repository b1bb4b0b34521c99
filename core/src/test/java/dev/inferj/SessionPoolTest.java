package dev.inferj;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** A pool hands out a session per request at a time, gives the last returned one back first, and closes them all. */
class SessionPoolTest {

    @Test
    void busySessionsAreNotSharedAndAReturnedOneKeepsItsContext() {
        try (Model m = Model.load(SharedData.model("stories260K.gguf"), ModelOptions.defaults().withContextLength(64))) {
            SessionPool pool = new SessionPool(m, SessionOptions.defaults().withContextLength(32));
            Session a = pool.take();
            Session b = pool.take();
            assertNotSame(a, b);
            assertEquals(32, a.contextLength());
            a.evaluate(1, 2, 3);
            pool.give(b);
            pool.give(a);
            Session again = pool.take();
            assertSame(a, again);
            assertEquals(3, again.position(), "what it held is kept for the next request");
            pool.close();
            assertThrows(IllegalStateException.class, () -> a.evaluate(4));
            assertThrows(IllegalStateException.class, () -> b.evaluate(4));
        }
    }
}
