package dev.mixtape.models.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A line-by-line transcription of llama2.c run.c's {@code encode()} (the O(n²) loop that rescans every
 * pair after each merge), used to check the priority-queue version in {@link Llama2cTokenizer}.
 */
final class RunCReference {
    private RunCReference() {
    }

    static int[] encode(Llama2cTokenizer tokenizer, String text, boolean bos) {
        List<Integer> tokens = new ArrayList<>();
        if (bos) {
            tokens.add(1);
        }
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > 0) {
            tokens.add(lookup(tokenizer, " "));
        }
        StringBuilder buffer = new StringBuilder();
        for (int c = 0; c < utf8.length; c++) {
            if ((utf8[c] & 0xC0) != 0x80) {
                buffer.setLength(0);
            }
            buffer.append((char) (utf8[c] & 0xFF));
            if (c + 1 < utf8.length && (utf8[c + 1] & 0xC0) == 0x80 && buffer.length() < 4) {
                continue;
            }
            int id = lookup(tokenizer, buffer.toString());
            if (id != -1) {
                tokens.add(id);
            } else {
                for (int i = 0; i < buffer.length(); i++) {
                    tokens.add(buffer.charAt(i) + 3);
                }
            }
            buffer.setLength(0);
        }
        while (true) {
            float bestScore = -1e10f;
            int bestId = -1;
            int bestIndex = -1;
            for (int i = 0; i < tokens.size() - 1; i++) {
                int id = lookup(tokenizer, tokenizer.piece(tokens.get(i)) + tokenizer.piece(tokens.get(i + 1)));
                if (id != -1 && tokenizer.score(id) > bestScore) {
                    bestScore = tokenizer.score(id);
                    bestId = id;
                    bestIndex = i;
                }
            }
            if (bestIndex == -1) {
                break;
            }
            tokens.set(bestIndex, bestId);
            tokens.remove(bestIndex + 1);
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int lookup(Llama2cTokenizer tokenizer, String piece) {
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (tokenizer.piece(id).equals(piece)) {
                return id;
            }
        }
        return -1;
    }
}
