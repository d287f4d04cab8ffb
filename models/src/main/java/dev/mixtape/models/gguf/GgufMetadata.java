package dev.mixtape.models.gguf;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The typed key/value metadata of a GGUF file ({@code general.architecture},
 * {@code llama.block_count}, {@code tokenizer.ggml.tokens}, ...). Each getter checks the stored type
 * and throws {@link IllegalArgumentException} naming the file and the key when the key is absent or
 * holds something else.
 *
 * <p>Integers of every width are read with {@link #getLong} or {@link #getInt} (unsigned 64-bit values
 * above {@code Long.MAX_VALUE} do not fit and are refused); floats with {@link #getFloat}.
 */
public final class GgufMetadata {
    /** An array value: the element type and a Java array (long[] for integers, float[], double[], boolean[], String[]). */
    record ArrayValue(GgufValueType elementType, Object elements) {
    }

    /** One stored value: its type and its Java form (Long for integers, Float, Double, Boolean, String, ArrayValue). */
    record Value(GgufValueType type, Object value) {
    }

    private final Path file;
    private final Map<String, Value> values;

    GgufMetadata(Path file, LinkedHashMap<String, Value> values) {
        this.file = file;
        this.values = Collections.unmodifiableMap(values);
    }

    /** The keys in the order the file lists them. */
    public Set<String> keys() {
        return values.keySet();
    }

    /** True when the file has this key. */
    public boolean has(String key) {
        return values.containsKey(key);
    }

    /** The stored type of a key's value. */
    public GgufValueType type(String key) {
        return value(key).type();
    }

    /** The element type of an array value. */
    public GgufValueType arrayElementType(String key) {
        return array(key).elementType();
    }

    /** A string value. */
    public String getString(String key) {
        return (String) expect(key, GgufValueType.STRING).value();
    }

    /** A boolean value. */
    public boolean getBoolean(String key) {
        return (Boolean) expect(key, GgufValueType.BOOL).value();
    }

    /** A float32 or float64 value, as a float. */
    public float getFloat(String key) {
        Value value = value(key);
        return switch (value.type()) {
            case FLOAT32 -> (Float) value.value();
            case FLOAT64 -> (float) (double) (Double) value.value();
            default -> throw wrongType(key, value.type(), "a float");
        };
    }

    /** An integer value of any width, as a long. */
    public long getLong(String key) {
        Value value = value(key);
        if (!value.type().isInteger()) {
            throw wrongType(key, value.type(), "an integer");
        }
        long number = (Long) value.value();
        if (value.type() == GgufValueType.UINT64 && number < 0) {
            throw new IllegalArgumentException(where(key) + " holds " + Long.toUnsignedString(number)
                    + ", which does not fit in a long");
        }
        return number;
    }

    /** An integer value of any width that fits in an int. */
    public int getInt(String key) {
        long number = getLong(key);
        if (number != (int) number) {
            throw new IllegalArgumentException(where(key) + " holds " + number + ", which does not fit in an int");
        }
        return (int) number;
    }

    /** An array of strings. */
    public String[] getStringArray(String key) {
        return ((String[]) expectArray(key, GgufValueType.STRING).elements()).clone();
    }

    /** An array of float32 (or float64, narrowed) values. */
    public float[] getFloatArray(String key) {
        ArrayValue array = array(key);
        return switch (array.elementType()) {
            case FLOAT32 -> ((float[]) array.elements()).clone();
            case FLOAT64 -> {
                double[] doubles = (double[]) array.elements();
                float[] floats = new float[doubles.length];
                for (int i = 0; i < doubles.length; i++) {
                    floats[i] = (float) doubles[i];
                }
                yield floats;
            }
            default -> throw wrongType(key, array.elementType(), "floats");
        };
    }

    /** An array of integers of any width, each of which must fit in an int. */
    public int[] getIntArray(String key) {
        ArrayValue array = array(key);
        if (!array.elementType().isInteger()) {
            throw wrongType(key, array.elementType(), "integers");
        }
        long[] longs = (long[]) array.elements();
        int[] ints = new int[longs.length];
        for (int i = 0; i < longs.length; i++) {
            boolean unsignedTooBig = array.elementType() == GgufValueType.UINT64 && longs[i] < 0;
            if (unsignedTooBig || longs[i] != (int) longs[i]) {
                throw new IllegalArgumentException(where(key) + " element " + i + " holds "
                        + (unsignedTooBig ? Long.toUnsignedString(longs[i]) : longs[i]) + ", which does not fit in an int");
            }
            ints[i] = (int) longs[i];
        }
        return ints;
    }

    private Value value(String key) {
        Value value = values.get(key);
        if (value == null) {
            throw new IllegalArgumentException("GGUF file " + file + " has no metadata key '" + key + "'");
        }
        return value;
    }

    private Value expect(String key, GgufValueType type) {
        Value value = value(key);
        if (value.type() != type) {
            throw wrongType(key, value.type(), type.name());
        }
        return value;
    }

    private ArrayValue array(String key) {
        return (ArrayValue) expect(key, GgufValueType.ARRAY).value();
    }

    private ArrayValue expectArray(String key, GgufValueType elementType) {
        ArrayValue array = array(key);
        if (array.elementType() != elementType) {
            throw wrongType(key, array.elementType(), "an array of " + elementType);
        }
        return array;
    }

    private IllegalArgumentException wrongType(String key, GgufValueType actual, String expected) {
        return new IllegalArgumentException(where(key) + " holds " + actual + ", not " + expected);
    }

    private String where(String key) {
        return "GGUF file " + file + " metadata key '" + key + "'";
    }
}
