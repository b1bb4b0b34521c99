package dev.inferj.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class PagesTest {

    @Test
    void freshMemoryIsZeroAlignedWritableAndFreedWithItsArena() {
        for (long size : new long[] {1000, (2L << 20) + 12345, 8L << 20}) {
            MemorySegment m;
            try (Arena arena = Arena.ofShared()) {
                m = Pages.fresh(arena, size);
                assertEquals(size, m.byteSize());
                assertEquals(0, m.address() % 64, "aligned to 64");
                for (long i = 0; i < size; i += 4093) {
                    assertEquals(0, m.get(ValueLayout.JAVA_BYTE, i), "zero at " + i);
                    m.set(ValueLayout.JAVA_BYTE, i, (byte) 7);
                }
                m.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 9);
                assertEquals(9, m.get(ValueLayout.JAVA_BYTE, size - 1));
                assertTrue(m.scope().isAlive());
            }
            MemorySegment freed = m;
            assertThrows(IllegalStateException.class, () -> freed.get(ValueLayout.JAVA_BYTE, 0));
        }
    }
}
