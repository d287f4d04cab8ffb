package dev.mixtape.engine.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The header of a safetensors file, parsed and checked against the file's size before any tensor is
 * read. The layout is: an 8-byte little-endian length {@code N}, {@code N} bytes of UTF-8 JSON, then
 * the data section. The checks are those of the reference implementation (huggingface/safetensors):
 * every dtype known, every shape non-negative, every byte range the size its dtype and shape need,
 * and the ranges tiling the data section exactly: no overlap, no gap, nothing left over.
 *
 * @param tensors   the tensors in the order the header lists them
 * @param metadata  the {@code __metadata__} string map (empty when absent), in header order
 * @param dataStart byte offset of the data section in the file, {@code 8 + N}
 */
record SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata, long dataStart) {

    /** The reference implementation refuses headers above this size; so do we. */
    static final long MAX_HEADER_BYTES = 100_000_000;

    /** The reserved header key of the metadata map. */
    static final String METADATA_KEY = "__metadata__";

    private static final ValueLayout.OfLong LENGTH_LAYOUT =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Reads and checks the header of {@code file}, whose whole content is {@code content}. */
    static SafetensorsHeader parse(Path file, MemorySegment content) {
        long fileSize = content.byteSize();
        if (fileSize < 8) {
            throw new SafetensorsException(file, "the file is " + fileSize
                    + " bytes long, shorter than the 8-byte header length that starts a safetensors file");
        }
        long headerLength = content.get(LENGTH_LAYOUT, 0);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new SafetensorsException(file, "header length " + Long.toUnsignedString(headerLength)
                    + " is over the " + MAX_HEADER_BYTES + "-byte limit (not a safetensors file, or corrupt)");
        }
        if (headerLength > fileSize - 8) {
            throw new SafetensorsException(file, "header length " + headerLength + " runs past the end of the file ("
                    + fileSize + " bytes, so at most " + (fileSize - 8) + " bytes of header): truncated or corrupt");
        }
        String text = decodeUtf8(file, content.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE));
        JsonNode root;
        try {
            root = StrictJson.parse(text);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(file, "the header is not valid JSON: " + StrictJson.problem(e));
        }
        if (!root.isObject()) {
            throw new SafetensorsException(file, "the header is " + describe(root) + ", not a JSON object");
        }
        long dataStart = 8 + headerLength;
        long dataLength = fileSize - dataStart;
        List<TensorInfo> tensors = new ArrayList<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<String, JsonNode> member : root.properties()) {
            if (member.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(file, member.getValue());
            } else {
                tensors.add(parseTensor(file, member.getKey(), member.getValue(), dataLength));
            }
        }
        checkTiling(file, tensors, dataLength);
        return new SafetensorsHeader(List.copyOf(tensors), metadata, dataStart);
    }

    private static String decodeUtf8(Path file, byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SafetensorsException(file, "the " + bytes.length + "-byte header is not valid UTF-8: " + e);
        }
    }

    private static Map<String, String> parseMetadata(Path file, JsonNode value) {
        if (!value.isObject()) {
            throw new SafetensorsException(file, METADATA_KEY + " is " + describe(value) + ", not an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : value.properties()) {
            if (!entry.getValue().isTextual()) {
                throw new SafetensorsException(file, METADATA_KEY + " entry " + StrictJson.quote(entry.getKey()) + " is "
                        + describe(entry.getValue()) + ", not a string");
            }
            metadata.put(entry.getKey(), entry.getValue().textValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode entry, long dataLength) {
        if (!entry.isObject()) {
            throw new SafetensorsException(file, name, "the entry is " + describe(entry) + ", not an object");
        }
        SafetensorsDtype dtype = parseDtype(file, name, entry.get("dtype"));
        int[] shape = parseShape(file, name, entry.get("shape"));
        long[] offsets = parseOffsets(file, name, entry.get("data_offsets"));
        long begin = offsets[0];
        long end = offsets[1];
        String range = "data_offsets [" + begin + ", " + end + "]";
        TensorInfo info = new TensorInfo(name, dtype, shape, begin, end);
        long needed;
        try {
            needed = Math.multiplyExact(info.numel(), dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new SafetensorsException(file, name, "shape " + Arrays.toString(shape)
                    + " has more bytes than a long can count");
        }
        if (end - begin != needed) {
            throw new SafetensorsException(file, name, range + " hold " + (end - begin) + " bytes but " + dtype + " "
                    + Arrays.toString(shape) + " needs " + info.numel() + " × " + dtype.bytes() + " = "
                    + needed);
        }
        if (end > dataLength) {
            throw new SafetensorsException(file, name, range + " run past the end of the data section, which holds "
                    + dataLength + " bytes: truncated or corrupt");
        }
        return info;
    }

    private static SafetensorsDtype parseDtype(Path file, String name, JsonNode value) {
        if (value == null || !value.isTextual()) {
            throw new SafetensorsException(file, name, "dtype is " + describe(value) + ", not a string");
        }
        return SafetensorsDtype.byName(value.textValue()).orElseThrow(() -> new SafetensorsException(file, name,
                "unknown dtype " + StrictJson.quote(value.textValue()) + " (known: "
                        + Arrays.toString(SafetensorsDtype.values()) + ")"));
    }

    private static int[] parseShape(Path file, String name, JsonNode value) {
        if (value == null || !value.isArray()) {
            throw new SafetensorsException(file, name, "shape is " + describe(value) + ", not an array");
        }
        int[] shape = new int[value.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode element = value.get(i);
            OptionalLong dim = exactLong(element);
            if (dim.isEmpty() || dim.getAsLong() < 0) {
                throw new SafetensorsException(file, name, "shape dimension " + i + " is " + describe(element)
                        + ", not a non-negative integer");
            }
            if (dim.getAsLong() > Integer.MAX_VALUE) {
                throw new SafetensorsException(file, name, "shape dimension " + i + " is " + dim.getAsLong()
                        + ", larger than a Mixtape tensor dimension can be (" + Integer.MAX_VALUE + ")");
            }
            shape[i] = (int) dim.getAsLong();
        }
        return shape;
    }

    private static long[] parseOffsets(Path file, String name, JsonNode value) {
        if (value == null || !value.isArray() || value.size() != 2) {
            throw new SafetensorsException(file, name, "data_offsets is " + describe(value)
                    + ", not an array [begin, end]");
        }
        long[] offsets = new long[2];
        for (int i = 0; i < 2; i++) {
            JsonNode element = value.get(i);
            OptionalLong offset = exactLong(element);
            if (offset.isEmpty() || offset.getAsLong() < 0) {
                throw new SafetensorsException(file, name, "data_offsets[" + i + "] is " + describe(element)
                        + ", not a non-negative integer that fits in a long");
            }
            offsets[i] = offset.getAsLong();
        }
        if (offsets[1] < offsets[0]) {
            throw new SafetensorsException(file, name, "data_offsets [" + offsets[0] + ", " + offsets[1]
                    + "] end before they begin");
        }
        return offsets;
    }

    /** Checks that the byte ranges, sorted, follow each other without overlap or gap and fill the data section. */
    private static void checkTiling(Path file, List<TensorInfo> tensors, long dataLength) {
        List<TensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo previous = null;
        long covered = 0;
        for (TensorInfo tensor : byOffset) {
            if (tensor.begin() < covered) {
                throw new SafetensorsException(file, tensor.name(), "bytes [" + tensor.begin() + ", " + tensor.end()
                        + ") overlap tensor " + StrictJson.quote(previous.name()) + " at [" + previous.begin() + ", "
                        + previous.end() + ")");
            }
            if (tensor.begin() > covered) {
                String before = previous == null ? "the data section starts at 0"
                        : "tensor " + StrictJson.quote(previous.name()) + " ends at " + covered;
                throw new SafetensorsException(file, tensor.name(), "data begins at " + tensor.begin() + " but "
                        + before + ": bytes [" + covered + ", " + tensor.begin() + ") belong to no tensor");
            }
            covered = tensor.end();
            previous = tensor;
        }
        if (covered != dataLength) {
            throw new SafetensorsException(file, "the data section holds " + dataLength + " bytes but the tensors cover "
                    + covered + ": bytes [" + covered + ", " + dataLength + ") belong to no tensor");
        }
    }

    /**
     * The value as a long when it was written as a plain integer literal ({@code -?digits}, no fraction
     * or exponent: Jackson reads those as floating point) that fits in a long; empty otherwise.
     */
    private static OptionalLong exactLong(JsonNode value) {
        return value.isIntegralNumber() && value.canConvertToLong() ? OptionalLong.of(value.longValue())
                : OptionalLong.empty();
    }

    /** A short description of a JSON value for error messages. */
    private static String describe(JsonNode value) {
        if (value == null) {
            return "missing";
        }
        return switch (value.getNodeType()) {
            case NUMBER, BOOLEAN, NULL -> value.toString();
            case STRING -> "the string " + StrictJson.quote(value.textValue());
            case ARRAY -> "an array of " + value.size();
            case OBJECT -> "an object";
            case BINARY, MISSING, POJO -> value.getNodeType().toString();
        };
    }
}
