package dev.mixtape.testdata;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Learns byte-level BPE merges from texts, as GPT-2's tokenizer was made: the text is cut into
 * words by GPT-2's pattern (a word keeps its leading space, BPE never merges across words), each word
 * starts as its UTF-8 bytes (ids 0..255), and then, as many times as asked, the adjacent pair of
 * tokens that occurs most often in the corpus becomes a new token (id 256, 257, ...) everywhere.
 * Ties go to the pair with the smaller ids, so the result depends on nothing but the texts.
 */
final class BpeTrainer {
    /** GPT-2's pre-tokenization pattern, the one a {@code ByteLevel} pre-tokenizer with {@code use_regex} applies. */
    static final Pattern GPT2_WORDS = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
            Pattern.UNICODE_CHARACTER_CLASS);

    /** One merge: the tokens {@code left} and {@code right} become token {@code result}. */
    record Merge(int left, int right, int result) {
    }

    /**
     * What training learned.
     *
     * @param tokenBytes the bytes each token id stands for: ids 0..255 are single bytes, then one per merge
     * @param merges     the merges in the order learned (their rank)
     */
    record Vocabulary(List<byte[]> tokenBytes, List<Merge> merges) {
    }

    private BpeTrainer() {
    }

    /** Learns at most {@code mergeCount} merges (fewer if no pair occurs twice any more). */
    static Vocabulary train(List<String> texts, int mergeCount) {
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        for (String text : texts) {
            Matcher words = GPT2_WORDS.matcher(text);
            while (words.find()) {
                wordCounts.merge(words.group(), 1, Integer::sum);
            }
        }
        List<int[]> words = new ArrayList<>();
        int[] counts = new int[wordCounts.size()];
        for (Map.Entry<String, Integer> entry : wordCounts.entrySet()) {
            byte[] bytes = entry.getKey().getBytes(StandardCharsets.UTF_8);
            int[] symbols = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) {
                symbols[i] = bytes[i] & 0xFF;
            }
            counts[words.size()] = entry.getValue();
            words.add(symbols);
        }

        List<byte[]> tokenBytes = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokenBytes.add(new byte[] {(byte) b});
        }
        List<Merge> merges = new ArrayList<>();
        for (int m = 0; m < mergeCount; m++) {
            long best = mostFrequentPair(words, counts);
            if (best < 0) {
                break;
            }
            Merge merge = new Merge((int) (best >>> 32), (int) best, tokenBytes.size());
            byte[] left = tokenBytes.get(merge.left());
            byte[] right = tokenBytes.get(merge.right());
            byte[] joined = Arrays.copyOf(left, left.length + right.length);
            System.arraycopy(right, 0, joined, left.length, right.length);
            tokenBytes.add(joined);
            merges.add(merge);
            words.replaceAll(symbols -> apply(merge, symbols));
        }
        return new Vocabulary(List.copyOf(tokenBytes), List.copyOf(merges));
    }

    /** The pair (left id in the high half, right id in the low half) seen most often, at least twice; −1 if none. */
    private static long mostFrequentPair(List<int[]> words, int[] counts) {
        Map<Long, Long> pairCounts = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            int[] symbols = words.get(w);
            for (int i = 0; i + 1 < symbols.length; i++) {
                pairCounts.merge(((long) symbols[i] << 32) | symbols[i + 1], (long) counts[w], Long::sum);
            }
        }
        long best = -1;
        long bestCount = 1;
        for (Map.Entry<Long, Long> entry : pairCounts.entrySet()) {
            long count = entry.getValue();
            if (count > bestCount || (count == bestCount && best >= 0 && entry.getKey() < best)) {
                best = entry.getKey();
                bestCount = count;
            }
        }
        return best;
    }

    /** {@code symbols} with every occurrence of the merge's pair, left to right, replaced by its result. */
    private static int[] apply(Merge merge, int[] symbols) {
        int[] out = new int[symbols.length];
        int n = 0;
        for (int i = 0; i < symbols.length; i++) {
            if (i + 1 < symbols.length && symbols[i] == merge.left() && symbols[i + 1] == merge.right()) {
                out[n++] = merge.result();
                i++;
            } else {
                out[n++] = symbols[i];
            }
        }
        return n == symbols.length ? symbols : Arrays.copyOf(out, n);
    }
}
