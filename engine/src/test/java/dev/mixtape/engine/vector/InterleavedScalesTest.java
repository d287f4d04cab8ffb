package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The interleaved kernels convert eight f16 scales at once with integer and float vector operations
 * rather than {@link Float#float16ToFloat}; this checks every one of the 63,488 finite halves (zeros,
 * subnormals, normals, both signs: all an interleaved matrix holds) converts to the same float bits, so
 * a wrong exponent rebase, a subnormal mishandled or a lost sign shows. And the backend holds Q8_0 and
 * Q4_0 interleaved exactly where those kernels can run.
 */
class InterleavedScalesTest {

    @Test
    void everyFiniteHalfWidensAsFloat16ToFloatDoes() {
        Assumptions.assumeTrue(VectorSupport.available(), "needs the Vector API");
        byte[] halves = new byte[16];
        float[] floats = new float[8];
        int checked = 0;
        for (int first = 0; first < 1 << 16; first += 8) {
            if ((first & 0x7C00) == 0x7C00) {
                continue;
            }
            for (int j = 0; j < 8; j++) {
                halves[2 * j] = (byte) (first + j);
                halves[2 * j + 1] = (byte) ((first + j) >> 8);
            }
            InterleavedGemv.scales(halves, 0).intoArray(floats, 0);
            for (int j = 0; j < 8; j++) {
                short half = (short) (first + j);
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(half)), Float.floatToRawIntBits(floats[j]),
                        "half 0x" + Integer.toHexString(first + j));
                checked++;
            }
        }
        assertEquals(63_488, checked);
    }

    @Test
    void q8_0AndQ4_0AreInterleavedForDecodingWhereVectorsHoldEightFloats() {
        QuantizedMatrix q8_0 = QuantizedMatrix.quantize(BlockFormats.Q8_0, new float[4 * 512], 4, 512);
        boolean eightLanes = VectorSupport.available() && BlockLanes.FLOATS.length() >= 8;
        assertSame(eightLanes ? BlockFormats.Q8_0_BY_8 : BlockFormats.Q8_0, QuantizedProducts.forDecoding(q8_0).format());
        QuantizedMatrix q4_0 = QuantizedMatrix.quantize(BlockFormats.Q4_0, new float[4 * 512], 4, 512);
        assertSame(eightLanes ? BlockFormats.Q4_0_BY_8 : BlockFormats.Q4_0, QuantizedProducts.forDecoding(q4_0).format());
        QuantizedMatrix rowsOf288 = QuantizedMatrix.quantize(BlockFormats.Q8_0, new float[4 * 288], 4, 288);
        assertSame(rowsOf288, QuantizedProducts.forDecoding(rowsOf288));
        byte[] withInfinity = q8_0.blocks().toArray(ValueLayout.JAVA_BYTE);
        withInfinity[1] = 0x7C;
        QuantizedMatrix infiniteScale = new QuantizedMatrix(BlockFormats.Q8_0, 4, 512, MemorySegment.ofArray(withInfinity));
        assertSame(infiniteScale, QuantizedProducts.forDecoding(infiniteScale));
    }
}
