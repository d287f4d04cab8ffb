package dev.mixtape.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mixtape.models.generate.SamplingSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The fields that completions and chat completions share, read from a request body and checked as
 * OpenAI's API defines them, each bad one a 400 naming the field.
 *
 * @param model     the served name asked for
 * @param maxTokens the token budget, or -1 when the request sets none
 * @param sampling  temperature (default 1), top_p (default 1), seed (default: random)
 * @param stop      up to 4 stop sequences
 * @param stream    whether to answer with server-sent events
 * @param usageInStream whether a stream ends with a usage chunk ({@code stream_options.include_usage})
 */
record SamplingRequest(String model, int maxTokens, SamplingSettings sampling, List<String> stop, boolean stream,
                       boolean usageInStream) {
    private static final int MAX_STOPS = 4;

    static SamplingRequest read(JsonNode body, String... maxTokensFields) {
        String model = requiredString(body, "model");
        int maxTokens = -1;
        for (String field : maxTokensFields) {
            JsonNode value = body.get(field);
            if (value != null && !value.isNull()) {
                if (!value.canConvertToInt() || !value.isIntegralNumber() || value.intValue() < 1) {
                    throw ApiException.invalid(field, "'" + field + "' must be an integer >= 1, got " + value);
                }
                maxTokens = value.intValue();
            }
        }
        double temperature = number(body, "temperature", 1.0);
        if (temperature < 0 || temperature > 2) {
            throw ApiException.invalid("temperature", "'temperature' must be in [0, 2], got " + temperature);
        }
        double topP = number(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw ApiException.invalid("top_p", "'top_p' must be in (0, 1], got " + topP);
        }
        JsonNode seedNode = body.get("seed");
        long seed;
        if (seedNode == null || seedNode.isNull()) {
            seed = ThreadLocalRandom.current().nextLong();
        } else if (seedNode.isIntegralNumber() && seedNode.canConvertToLong()) {
            seed = seedNode.longValue();
        } else {
            throw ApiException.invalid("seed", "'seed' must be an integer, got " + seedNode);
        }
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.intValue() == 1 && n.canConvertToInt())) {
            throw ApiException.invalid("n", "only n = 1 is supported, got " + n);
        }
        JsonNode logprobs = body.get("logprobs");
        if (logprobs != null && !logprobs.isNull() && !(logprobs.isBoolean() && !logprobs.booleanValue())) {
            throw ApiException.invalid("logprobs", "logprobs are not supported");
        }
        boolean stream = bool(body, "stream");
        JsonNode options = body.get("stream_options");
        boolean usage = false;
        if (options != null && !options.isNull()) {
            if (!options.isObject()) {
                throw ApiException.invalid("stream_options", "'stream_options' must be an object");
            }
            usage = bool(options, "include_usage");
        }
        return new SamplingRequest(model, maxTokens, new SamplingSettings(temperature, 0, topP, seed), stops(body), stream, usage);
    }

    static String requiredString(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.invalid(field, "the request needs '" + field + "'");
        }
        if (!value.isTextual()) {
            throw ApiException.invalid(field, "'" + field + "' must be a string, got " + value.getNodeType().toString().toLowerCase());
        }
        return value.textValue();
    }

    private static double number(JsonNode body, String field, double absent) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isNumber()) {
            throw ApiException.invalid(field, "'" + field + "' must be a number, got " + value);
        }
        return value.doubleValue();
    }

    private static boolean bool(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw ApiException.invalid(field, "'" + field + "' must be true or false, got " + value);
        }
        return value.booleanValue();
    }

    private static List<String> stops(JsonNode body) {
        JsonNode value = body.get("stop");
        List<String> stops = new ArrayList<>();
        if (value == null || value.isNull()) {
            return stops;
        }
        if (value.isTextual()) {
            stops.add(value.textValue());
        } else if (value.isArray() && value.size() <= MAX_STOPS) {
            for (JsonNode element : value) {
                if (!element.isTextual()) {
                    throw ApiException.invalid("stop", "'stop' must be a string or an array of strings");
                }
                stops.add(element.textValue());
            }
        } else {
            throw ApiException.invalid("stop", "'stop' must be a string or an array of at most " + MAX_STOPS + " strings");
        }
        if (stops.stream().anyMatch(String::isEmpty)) {
            throw ApiException.invalid("stop", "a stop sequence may not be empty");
        }
        return stops;
    }
}
