package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The {@code decoder} of a tokenizer.json, applied token by token so that it can stream: each token's
 * text goes through the steps in order and comes out as bytes. Steps read here: {@code ByteLevel}
 * (characters back to the bytes they stand for), {@code Metaspace} ({@code ▁} back to spaces, none
 * in the first token when a prefix was added), {@code Replace}, {@code ByteFallback}
 * ({@code <0xXX>} to its byte), {@code Fuse} (joins tokens; after it a {@code Strip} acts on the
 * start of the whole text), {@code Strip}, and {@code Sequence} of those.
 *
 * <p>Where Hugging Face turns an invalid UTF-8 run of byte tokens into one U+FFFD per token, the
 * bytes here go out as they are and the {@link StreamingDecoder} replaces what is invalid.
 */
final class HfDecoder {
    private sealed interface Step {
    }

    private record ByteLevelStep() implements Step {
    }

    private record MetaspaceStep(byte[] replacement, boolean dropInFirstToken) implements Step {
    }

    private record ReplaceStep(byte[] pattern, byte[] content) implements Step {
    }

    private record ByteFallbackStep() implements Step {
    }

    private record FuseStep() implements Step {
    }

    private record StripStep(byte[] content, int start, int stop, boolean wholeText) implements Step {
    }

    private final List<Step> steps;

    private HfDecoder(List<Step> steps) {
        this.steps = steps;
    }

    /** The decoder a tokenizer.json describes; null JSON means tokens are joined as they are. */
    static HfDecoder fromJson(JsonNode node, String source) {
        List<Step> steps = new ArrayList<>();
        if (node != null && !node.isNull()) {
            addSteps(node, source, steps);
        }
        return new HfDecoder(List.copyOf(steps));
    }

    private static void addSteps(JsonNode node, String source, List<Step> steps) {
        String type = node.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode step : node.path("decoders")) {
                    addSteps(step, source, steps);
                }
            }
            case "ByteLevel" -> steps.add(new ByteLevelStep());
            case "Metaspace" -> steps.add(new MetaspaceStep(utf8(node.path("replacement").asText("▁")),
                    !HfJson.prependScheme(node, source).equals("never")));
            case "Replace" -> {
                if (!node.path("pattern").hasNonNull("String")) {
                    throw new IllegalArgumentException(source + " has a Replace decoder with a regex pattern, which Mixtape does not read");
                }
                steps.add(new ReplaceStep(utf8(node.path("pattern").get("String").asText()), utf8(node.path("content").asText())));
            }
            case "ByteFallback" -> steps.add(new ByteFallbackStep());
            case "Fuse" -> steps.add(new FuseStep());
            case "Strip" -> {
                boolean wholeText = steps.stream().anyMatch(s -> s instanceof FuseStep);
                int stop = node.path("stop").asInt(0);
                if (wholeText && stop > 0) {
                    throw new IllegalArgumentException(source + " strips the end of the fused text (Strip stop " + stop
                            + "), which a streaming decoder cannot do");
                }
                steps.add(new StripStep(utf8(node.path("content").asText(" ")), node.path("start").asInt(0), stop, wholeText));
            }
            default -> throw new IllegalArgumentException(source + " has the decoder type '" + type
                    + "', which Mixtape does not read (it reads ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence)");
        }
    }

    /** A fresh per-stream state: turns each token's text, in order, into its bytes. */
    Function<String, byte[]> newStream() {
        int[] tokenIndex = {0};
        int[] stripBudget = {steps.stream().filter(s -> s instanceof StripStep strip && strip.wholeText())
                .mapToInt(s -> ((StripStep) s).start()).sum()};
        return token -> {
            byte[] bytes = utf8(token);
            for (Step step : steps) {
                bytes = switch (step) {
                    case ByteLevelStep ignored -> byteLevel(token, bytes);
                    case MetaspaceStep m -> tokenIndex[0] == 0 && m.dropInFirstToken()
                            ? replace(bytes, m.replacement(), new byte[0]) : replace(bytes, m.replacement(), utf8(" "));
                    case ReplaceStep r -> replace(bytes, r.pattern(), r.content());
                    case ByteFallbackStep ignored -> {
                        int value = ByteTokens.parse(new String(bytes, StandardCharsets.UTF_8));
                        yield value >= 0 ? new byte[] {(byte) value} : bytes;
                    }
                    case FuseStep ignored -> bytes;
                    case StripStep s when s.wholeText() -> {
                        while (stripBudget[0] > 0 && startsWith(bytes, s.content())) {
                            bytes = Arrays.copyOfRange(bytes, s.content().length, bytes.length);
                            stripBudget[0]--;
                        }
                        if (bytes.length > 0) {
                            stripBudget[0] = 0;
                        }
                        yield bytes;
                    }
                    case StripStep s -> strip(bytes, s);
                };
            }
            tokenIndex[0]++;
            return bytes;
        };
    }

    private static byte[] byteLevel(String token, byte[] asText) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            int value = ByteLevelAlphabet.byteOf(token.charAt(i));
            if (value < 0) {
                return asText;
            }
            bytes[i] = (byte) value;
        }
        return bytes;
    }

    private static byte[] strip(byte[] bytes, StripStep step) {
        int from = 0;
        int to = bytes.length;
        int content = step.content().length;
        for (int i = 0; i < step.start() && startsWith(Arrays.copyOfRange(bytes, from, to), step.content()); i++) {
            from += content;
        }
        for (int i = 0; i < step.stop() && to - content >= from
                && Arrays.equals(bytes, to - content, to, step.content(), 0, content); i++) {
            to -= content;
        }
        return Arrays.copyOfRange(bytes, from, to);
    }

    private static byte[] replace(byte[] bytes, byte[] pattern, byte[] content) {
        if (pattern.length == 0) {
            return bytes;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < bytes.length) {
            if (i + pattern.length <= bytes.length && Arrays.equals(bytes, i, i + pattern.length, pattern, 0, pattern.length)) {
                out.writeBytes(content);
                i += pattern.length;
            } else {
                out.write(bytes[i++]);
            }
        }
        return out.toByteArray();
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        return bytes.length >= prefix.length && Arrays.equals(bytes, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
