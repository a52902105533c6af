package io.millrace.worker.model.build;

import io.millrace.worker.model.ByteLevel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Learns byte-level BPE merges from a corpus, the way Hugging Face's BpeTrainer does it: start from
 * the 256 byte symbols, repeatedly join the most frequent adjacent pair inside pre-tokenized words.
 *
 * <p>Deterministic by construction, because the built-in model must be byte-identical everywhere:
 * words are visited in sorted order and a tie in pair frequency goes to the lexicographically
 * smallest pair, so no hash iteration order leaks into the result.
 */
final class BpeTrainer {
    /** The learned vocabulary (byte symbols first, ids 0..255 by byte value, then merge results) and merge rules in rank order. */
    record Vocabulary(Map<String, Integer> tokenIds, List<Pair> merges) {
        Vocabulary {
            tokenIds = Collections.unmodifiableMap(new LinkedHashMap<>(tokenIds));
            merges = List.copyOf(merges);
        }
    }

    record Pair(String left, String right) implements Comparable<Pair> {
        @Override
        public int compareTo(Pair o) {
            int c = left.compareTo(o.left);
            return c != 0 ? c : right.compareTo(o.right);
        }
    }

    private final int maxMerges;
    private final int minFrequency;

    /** @param minFrequency a pair seen fewer times is not worth a token; training stops there */
    BpeTrainer(int maxMerges, int minFrequency) {
        this.maxMerges = maxMerges;
        this.minFrequency = minFrequency;
    }

    Vocabulary train(String corpus) {
        Map<List<String>, Integer> wordCounts = new TreeMap<>(BpeTrainer::compareWords);
        for (List<String> word : ByteLevel.preTokenize(corpus)) {
            wordCounts.merge(word, 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        wordCounts.forEach((w, c) -> {
            words.add(new ArrayList<>(w));
            counts.add(c);
        });

        Map<String, Integer> tokenIds = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            tokenIds.put(ByteLevel.symbol(b), b);
        }
        List<Pair> merges = new ArrayList<>();
        while (merges.size() < maxMerges) {
            Pair best = mostFrequentPair(words, counts);
            if (best == null) {
                break;
            }
            merges.add(best);
            tokenIds.putIfAbsent(best.left + best.right, tokenIds.size());
            for (List<String> word : words) {
                apply(best, word);
            }
        }
        return new Vocabulary(tokenIds, merges);
    }

    /**
     * Adds synthetic merges until the vocabulary has {@code size} tokens: each token in id order
     * (learned and synthetic alike) joined with each of the letters a to z, skipping joins that are
     * already tokens. Deterministic, and every added id is a token that decodes to text.
     */
    static Vocabulary fill(Vocabulary vocabulary, int size) {
        Map<String, Integer> tokenIds = new LinkedHashMap<>(vocabulary.tokenIds());
        if (tokenIds.size() > size) {
            throw new IllegalArgumentException("the vocabulary has " + tokenIds.size() + " tokens, more than " + size);
        }
        List<Pair> merges = new ArrayList<>(vocabulary.merges());
        List<String> tokens = new ArrayList<>(tokenIds.keySet());
        for (int i = 0; tokenIds.size() < size; i++) {
            String left = tokens.get(i);
            for (char c = 'a'; c <= 'z' && tokenIds.size() < size; c++) {
                String right = String.valueOf(c);
                String merged = left + right;
                if (!tokenIds.containsKey(merged)) {
                    tokenIds.put(merged, tokenIds.size());
                    merges.add(new Pair(left, right));
                    tokens.add(merged);
                }
            }
        }
        return new Vocabulary(tokenIds, merges);
    }

    private Pair mostFrequentPair(List<List<String>> words, List<Integer> counts) {
        Map<Pair, Integer> pairCounts = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            List<String> word = words.get(w);
            for (int i = 0; i + 1 < word.size(); i++) {
                pairCounts.merge(new Pair(word.get(i), word.get(i + 1)), counts.get(w), Integer::sum);
            }
        }
        Pair best = null;
        int bestCount = minFrequency - 1;
        for (Map.Entry<Pair, Integer> e : pairCounts.entrySet()) {
            int c = e.getValue();
            if (c > bestCount || (c == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
                best = e.getKey();
                bestCount = c;
            }
        }
        return best;
    }

    private static void apply(Pair pair, List<String> word) {
        for (int i = 0; i + 1 < word.size(); i++) {
            if (word.get(i).equals(pair.left) && word.get(i + 1).equals(pair.right)) {
                word.set(i, pair.left + pair.right);
                word.remove(i + 1);
            }
        }
    }

    private static int compareWords(List<String> a, List<String> b) {
        return String.join("", a).compareTo(String.join("", b));
    }
}
