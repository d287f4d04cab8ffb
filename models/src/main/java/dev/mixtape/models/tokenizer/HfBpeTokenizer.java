package dev.mixtape.models.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.engine.io.StrictJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model, of either kind: byte-level (GPT-2, Llama 3,
 * SmolLM2: a regex split, bytes written as printable characters, merges by rank) or SentencePiece-style
 * (Llama 2, TinyLlama: {@code ▁} for spaces through a normalizer or a Metaspace pre-tokenizer, byte
 * fallback). Encoding runs the pipeline Hugging Face runs:
 * <ol>
 * <li>added tokens ({@code <|im_start|>}, {@code <s>}) are cut out of the text and become their ids;</li>
 * <li>the rest is normalized ({@link HfNormalizer}), then split ({@link HfPreTokenizer});</li>
 * <li>each piece is encoded by the BPE model ({@link HfBpeModel});</li>
 * <li>with {@code addSpecial}, the post-processor's template adds its tokens (e.g. BOS).</li>
 * </ol>
 * Decoding renders every token, special ones included (Hugging Face's {@code skip_special_tokens =
 * false}), through the file's decoder ({@link HfDecoder}).
 *
 * <p>BOS and EOS come from a {@code tokenizer_config.json} beside the file when there is one, else
 * from the post-processor's template (the special token before the text is BOS, the one after EOS).
 */
public final class HfBpeTokenizer implements Tokenizer {
    /** Twice the largest tokenizer.json in use (about 33 MB), small enough to parse in a 1 GB heap. */
    private static final long MAX_TOKENIZER_BYTES = 64L << 20;

    private final String source;
    private final AddedTokens addedTokens;
    private final HfNormalizer normalizer;
    private final HfPreTokenizer preTokenizer;
    private final HfBpeModel model;
    private final HfDecoder decoder;
    private final int[] templatePrefix;
    private final int[] templateSuffix;
    private final Map<Integer, String> tokensById = new HashMap<>();
    private final int vocabSize;
    private final OptionalInt bos;
    private final OptionalInt eos;

    private HfBpeTokenizer(String source, JsonNode root, JsonNode config) {
        this.source = source;
        this.addedTokens = AddedTokens.fromJson(root.path("added_tokens"), source);
        this.normalizer = HfNormalizer.fromJson(root.get("normalizer"), source);
        this.preTokenizer = HfPreTokenizer.fromJson(root.get("pre_tokenizer"), source);
        this.model = HfBpeModel.fromJson(root.path("model"), source);
        this.decoder = HfDecoder.fromJson(root.get("decoder"), source);
        model.vocab().forEach((token, id) -> tokensById.put(id, token));
        for (AddedTokens.Token token : addedTokens.all()) {
            tokensById.put(token.id(), token.content());
        }
        this.vocabSize = tokensById.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        readTemplate(root.get("post_processor"), prefix, suffix);
        this.templatePrefix = prefix.stream().mapToInt(Integer::intValue).toArray();
        this.templateSuffix = suffix.stream().mapToInt(Integer::intValue).toArray();
        this.bos = specialId(config, "bos_token", templatePrefix);
        this.eos = specialId(config, "eos_token", templateSuffix);
    }

    /**
     * Reads a tokenizer.json, and the {@code tokenizer_config.json} beside it if there is one, each
     * strictly (one JSON value, no repeated key; see {@link StrictJson}); errors name the file.
     */
    public static HfBpeTokenizer load(Path tokenizerJson) throws IOException {
        JsonNode root = strictJson(tokenizerJson, MAX_TOKENIZER_BYTES);
        Path configFile = tokenizerJson.resolveSibling("tokenizer_config.json");
        JsonNode config = Files.exists(configFile) ? strictJson(configFile, StrictJson.MAX_FILE_BYTES) : null;
        return fromJson(root, config, "tokenizer.json file " + tokenizerJson);
    }

    private static JsonNode strictJson(Path file, long maxBytes) throws IOException {
        try {
            return StrictJson.read(file, maxBytes);
        } catch (JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + StrictJson.problem(e), e);
        }
    }

    /**
     * Builds a tokenizer from parsed JSON.
     *
     * @param config the parsed tokenizer_config.json, or null
     * @param source what to call the file in error messages
     */
    public static HfBpeTokenizer fromJson(JsonNode root, JsonNode config, String source) {
        return new HfBpeTokenizer(source, root, config);
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        List<Integer> ids = new ArrayList<>();
        if (addSpecial) {
            for (int id : templatePrefix) {
                ids.add(id);
            }
        }
        for (AddedTokens.Segment raw : addedTokens.split(text, 0, false)) {
            if (raw.isToken()) {
                ids.add(raw.id());
                continue;
            }
            String normalized = normalizer.normalize(raw.text());
            for (AddedTokens.Segment segment : addedTokens.split(normalized, raw.start(), true)) {
                if (segment.isToken()) {
                    ids.add(segment.id());
                    continue;
                }
                for (TextPiece piece : preTokenizer.split(new TextPiece(segment.text(), segment.start() == 0))) {
                    model.encode(piece.text(), ids);
                }
            }
        }
        if (addSpecial) {
            for (int id : templateSuffix) {
                ids.add(id);
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public StreamingDecoder newStreamingDecoder() {
        Function<String, byte[]> stream = decoder.newStream();
        return new StreamingDecoder(id -> {
            String token = tokensById.get(id);
            if (token == null) {
                throw new IllegalArgumentException("token id " + id + " is not in " + source);
            }
            return stream.apply(token);
        });
    }

    @Override
    public OptionalInt bosId() {
        return bos;
    }

    @Override
    public OptionalInt eosId() {
        return eos;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    private void readTemplate(JsonNode processor, List<Integer> prefix, List<Integer> suffix) {
        if (processor == null || processor.isNull()) {
            return;
        }
        String type = processor.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode step : processor.path("processors")) {
                    readTemplate(step, prefix, suffix);
                }
            }
            case "ByteLevel" -> {
            }
            case "TemplateProcessing" -> {
                boolean afterText = false;
                for (JsonNode item : processor.path("single")) {
                    if (item.has("Sequence")) {
                        afterText = true;
                    } else if (item.has("SpecialToken")) {
                        String name = item.get("SpecialToken").path("id").asText();
                        JsonNode ids = processor.path("special_tokens").path(name).path("ids");
                        if (!ids.isArray() || ids.isEmpty()) {
                            throw new IllegalArgumentException(source + " uses the special token '" + name
                                    + "' in its template but gives it no ids");
                        }
                        for (JsonNode id : ids) {
                            (afterText ? suffix : prefix).add(id.asInt());
                        }
                    }
                }
            }
            default -> throw new IllegalArgumentException(source + " has the post_processor type '" + type
                    + "', which Mixtape does not read (it reads TemplateProcessing, ByteLevel, Sequence)");
        }
    }

    private OptionalInt specialId(JsonNode config, String key, int[] templateIds) {
        String content = config == null ? null : HfJson.tokenContent(config.get(key));
        if (content != null) {
            AddedTokens.Token added = addedTokens.byContent(content);
            Integer id = added != null ? Integer.valueOf(added.id()) : model.vocab().get(content);
            if (id == null) {
                throw new IllegalArgumentException("tokenizer_config.json beside " + source + " names the " + key
                        + " '" + content + "', which is not a token");
            }
            return OptionalInt.of(id);
        }
        return templateIds.length > 0 ? OptionalInt.of(templateIds[0]) : OptionalInt.empty();
    }
}
