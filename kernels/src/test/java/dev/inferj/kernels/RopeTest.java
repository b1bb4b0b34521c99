package dev.inferj.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RopeTest {

    private static final float COS1 = (float) Math.cos(1);
    private static final float SIN1 = (float) Math.sin(1);
    /** With 4 rotated dimensions and base 10000 the second pair turns 10000^(-2/4) = 0.01 radians per position. */
    private static final float COS01 = (float) Math.cos(0.01f);
    private static final float SIN01 = (float) Math.sin(0.01f);

    @Test
    void positionZeroIsTheIdentityInBothOrders() {
        for (boolean neox : new boolean[] {false, true}) {
            Rope rope = new Rope(8, 10000f, neox);
            rope.setPosition(0);
            float[] x = {1f, -2f, 3f, -4f, 5f, -6f, 7f, -8f, 9f, -10f};
            float[] before = x.clone();
            rope.rotate(x, 1, 1, 8);
            assertArrayEquals(before, x, neox ? "neox" : "normal");
        }
    }

    @Test
    void normalOrderRotatesAdjacentPairs() {
        Rope rope = new Rope(4, 10000f, false);
        rope.setPosition(1);
        float[] x = {1f, 0f, 0f, 1f};
        rope.rotate(x, 0, 1, 4);
        // (x0, x1) turns by 1 radian, (x2, x3) by 0.01
        assertArrayEquals(new float[] {COS1, SIN1, -SIN01, COS01}, x, 1e-6f);
    }

    @Test
    void neoxOrderRotatesPairsHalfTheDimensionsApart() {
        Rope rope = new Rope(4, 10000f, true);
        rope.setPosition(1);
        float[] x = {1f, 0f, 0f, 1f};
        rope.rotate(x, 0, 1, 4);
        // (x0, x2) turns by 1 radian, (x1, x3) by 0.01
        assertArrayEquals(new float[] {COS1, -SIN01, SIN1, COS01}, x, 1e-6f);
    }

    @Test
    void dimensionsBeyondTheRotatedOnesAndEveryHeadAreHandled() {
        Rope rope = new Rope(2, 10000f, false);
        rope.setPosition(2);
        // two heads of 3: only the first pair of each rotates, by 2 radians
        float[] x = {1f, 0f, 5f, 1f, 0f, 6f};
        rope.rotate(x, 0, 2, 3);
        float c = (float) Math.cos(2);
        float s = (float) Math.sin(2);
        assertArrayEquals(new float[] {c, s, 5f, c, s, 6f}, x, 1e-6f);
    }

    @Test
    void rotationKeepsTheLengthOfEachPair() {
        Rope rope = new Rope(64, 500000f, true);
        rope.setPosition(12345);
        float[] x = new float[64];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) - 3f;
        }
        float[] before = x.clone();
        rope.rotate(x, 0, 1, 64);
        for (int i = 0; i < 32; i++) {
            double r0 = Math.hypot(before[i], before[i + 32]);
            assertEquals(r0, Math.hypot(x[i], x[i + 32]), 1e-5 * (1 + r0), "pair " + i);
        }
    }
}
