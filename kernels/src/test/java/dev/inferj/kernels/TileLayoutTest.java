package dev.inferj.kernels;

import dev.inferj.ggml.GgmlType;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** The tiled copy holds every byte of the row-major matrix where {@code scaleOffset} and {@code quantOffset} say. */
class TileLayoutTest {

    @Property(tries = 40)
    void everyScaleAndQuantLandsWhereTheLayoutSays(@ForAll("legacy") GgmlType type, @ForAll @IntRange(min = 1, max = 4) int tiles,
            @ForAll @IntRange(min = 1, max = 6) int blocks, @ForAll long seed) {
        int rows = tiles * TileLayout.TILE_ROWS;
        int cols = blocks * type.blockSize();
        Random rnd = new Random(seed);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rowMajor = arena.allocate(type.byteSize(cols) * rows, 64);
            for (long i = 0; i < rowMajor.byteSize(); i++) {
                rowMajor.set(ScalarKernels.BYTE, i, (byte) rnd.nextInt(256));
            }
            for (int r = 0; r < rows; r++) { // finite scales, as tiling requires
                for (int b = 0; b < blocks; b++) {
                    long at = r * type.byteSize(cols) + (long) b * type.bytesPerBlock();
                    rowMajor.set(ScalarKernels.BYTE, at + 1, (byte) (rowMajor.get(ScalarKernels.BYTE, at + 1) & 0x3b));
                }
            }
            WeightMatrix w = new WeightMatrix("w", type, rowMajor, rows, cols);
            WeightMatrix tiled = TileLayout.repack(w, arena.allocate(rowMajor.byteSize(), 64));
            for (int r = 0; r < rows; r++) {
                for (int b = 0; b < blocks; b++) {
                    long src = r * type.byteSize(cols) + (long) b * type.bytesPerBlock();
                    for (int i = 0; i < 2; i++) {
                        assertEquals(rowMajor.get(ScalarKernels.BYTE, src + i),
                                tiled.data().get(ScalarKernels.BYTE, TileLayout.scaleOffset(tiled, r, b) + i), "scale of row " + r + " block " + b);
                    }
                    for (int j = 0; j < type.bytesPerBlock() - 2; j++) {
                        assertEquals(rowMajor.get(ScalarKernels.BYTE, src + 2 + j),
                                tiled.data().get(ScalarKernels.BYTE, TileLayout.quantOffset(tiled, r, b, j)),
                                "quant byte " + j + " of row " + r + " block " + b);
                    }
                }
            }
        }
    }

    @Provide
    Arbitrary<GgmlType> legacy() {
        return Arbitraries.of(GgmlType.Q4_0, GgmlType.Q8_0);
    }
}
