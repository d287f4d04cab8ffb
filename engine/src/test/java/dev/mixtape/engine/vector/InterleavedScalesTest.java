package dev.mixtape.engine.vector;

import dev.mixtape.engine.quant.BlockFormats;
import dev.mixtape.engine.quant.QuantizedMatrix;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * The interleaved Q8_0 kernel converts eight f16 scales at once with integer and float vector
 * operations rather than {@link Float#float16ToFloat}; this checks every one of the 65,536 halves
 * (zeros, subnormals, normals, infinities, NaNs, both signs) converts to the same float bits, so a
 * wrong exponent rebase, a subnormal mishandled or a lost sign shows. And the backend holds Q8_0 and
 * Q4_0 interleaved exactly where those kernels can run.
 */
class InterleavedScalesTest {

    @Test
    void everyHalfWidensAsFloat16ToFloatDoes() {
        Assumptions.assumeTrue(VectorSupport.available(), "needs the Vector API");
        byte[] halves = new byte[16];
        float[] floats = new float[8];
        for (int first = 0; first < 1 << 16; first += 8) {
            for (int j = 0; j < 8; j++) {
                halves[2 * j] = (byte) (first + j);
                halves[2 * j + 1] = (byte) ((first + j) >> 8);
            }
            InterleavedGemv.scales(halves, 0).intoArray(floats, 0);
            for (int j = 0; j < 8; j++) {
                short half = (short) (first + j);
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(half)), Float.floatToRawIntBits(floats[j]),
                        "half 0x" + Integer.toHexString(first + j));
            }
        }
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
    }
}
