package dev.mixtape.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The loop at the heart of every BPE tokenizer here: start from small symbols, then repeatedly merge
 * the adjacent pair that a rule ranks best, the leftmost one when several tie, until no pair can
 * merge. llama2.c's run.c rescans all pairs after each merge; this keeps candidate pairs in a priority
 * queue instead (as SentencePiece and Hugging Face do), which picks the same pair every step in
 * O(n log n) rather than O(n²).
 */
final class PairMerger {

    /** One symbol: its text and its id (−1 while the text is not a token, e.g. an unknown character). */
    record Symbol(String piece, int id) {
    }

    /** What a pair merges into: the id of the joined piece and how good the merge is (higher first). */
    record Merge(int id, double priority) {
    }

    /** Says whether two adjacent symbols may merge; null when they may not. */
    @FunctionalInterface
    interface Rule {
        Merge find(Symbol left, Symbol right);
    }

    private record Candidate(int left, int right, int leftVersion, int rightVersion, Merge merge) {
    }

    private PairMerger() {
    }

    /**
     * Merges {@code symbols} by {@code rule}; the merged symbol's piece is the two pieces joined.
     * Symbols with {@code frozen[i]} true never merge (SentencePiece's user-defined pieces); pass null
     * when none are frozen.
     */
    static List<Symbol> merge(List<Symbol> symbols, boolean[] frozen, Rule rule) {
        int n = symbols.size();
        Symbol[] current = symbols.toArray(new Symbol[0]);
        int[] next = new int[n];
        int[] previous = new int[n];
        int[] version = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            previous[i] = i - 1;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>((a, b) -> a.merge().priority() != b.merge().priority()
                ? Double.compare(b.merge().priority(), a.merge().priority())
                : Integer.compare(a.left(), b.left()));
        for (int i = 0; i + 1 < n; i++) {
            offer(queue, rule, current, version, frozen, i, i + 1);
        }
        while (!queue.isEmpty()) {
            Candidate best = queue.poll();
            int left = best.left();
            int right = best.right();
            boolean stale = current[left] == null || current[right] == null || next[left] != right
                    || version[left] != best.leftVersion() || version[right] != best.rightVersion();
            if (stale) {
                continue;
            }
            current[left] = new Symbol(current[left].piece() + current[right].piece(), best.merge().id());
            version[left]++;
            current[right] = null;
            next[left] = next[right];
            if (next[right] >= 0) {
                previous[next[right]] = left;
            }
            if (previous[left] >= 0) {
                offer(queue, rule, current, version, frozen, previous[left], left);
            }
            if (next[left] >= 0) {
                offer(queue, rule, current, version, frozen, left, next[left]);
            }
        }
        List<Symbol> merged = new ArrayList<>();
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            merged.add(current[i]);
        }
        return merged;
    }

    private static void offer(PriorityQueue<Candidate> queue, Rule rule, Symbol[] current, int[] version,
                              boolean[] frozen, int left, int right) {
        if (frozen != null && (frozen[left] || frozen[right])) {
            return;
        }
        Merge merge = rule.find(current[left], current[right]);
        if (merge != null) {
            queue.add(new Candidate(left, right, version[left], version[right], merge));
        }
    }
}
