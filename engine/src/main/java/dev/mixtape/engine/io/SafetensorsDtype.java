package dev.mixtape.engine.io;

import java.util.Optional;

/**
 * The element types a safetensors header may name, with their sizes. Every one of them can be listed
 * and sliced; {@link SafetensorsFile} converts {@link #F32}, {@link #F16} and {@link #BF16} to floats
 * and {@link #I32} and {@link #I64} to integers.
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), F8_E8M0(1),
    I16(2), U16(2), F16(2), BF16(2),
    I32(4), U32(4), F32(4),
    I64(8), U64(8), F64(8);

    private final int bytes;

    SafetensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The dtype spelled {@code name} in a header (exact, case-sensitive), if there is one. */
    public static Optional<SafetensorsDtype> byName(String name) {
        for (SafetensorsDtype dtype : values()) {
            if (dtype.name().equals(name)) {
                return Optional.of(dtype);
            }
        }
        return Optional.empty();
    }
}
