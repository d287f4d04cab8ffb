package dev.mixtape.engine.quant;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Reads the fixtures that {@code make_blocks.py} wrote with the gguf Python package. */
final class BlockFixtures {
    private BlockFixtures() {
    }

    /** The raw bytes of fixture {@code name}, as a heap segment. */
    static MemorySegment bytes(String name) {
        try (InputStream in = BlockFixtures.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name + "; run make_blocks.py");
            }
            return MemorySegment.ofArray(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Fixture {@code name} read as little-endian floats. */
    static float[] floats(String name) {
        return bytes(name).toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }
}
