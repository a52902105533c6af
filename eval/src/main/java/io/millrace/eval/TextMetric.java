package io.millrace.eval;

import java.util.List;

/**
 * A score of one generated text against an item's ideal answers, in [0, 1]. An item with several
 * ideals scores its best match (OpenAI evals' {@code ideal} list: any of them is right).
 */
public interface TextMetric {
    /** The metric's name in specs, items.jsonl and summary.json. */
    String name();

    double score(String output, List<String> ideals);

    /** {@code exact_match}: the normalised output equals a normalised ideal. */
    record ExactMatch(Normalization normalization) implements TextMetric {
        @Override
        public String name() {
            return "exact_match";
        }

        @Override
        public double score(String output, List<String> ideals) {
            String o = normalization.apply(output);
            return ideals.stream().anyMatch(i -> normalization.apply(i).equals(o)) ? 1 : 0;
        }
    }

    /** {@code includes}: a normalised ideal occurs in the normalised output (OpenAI evals' Includes). */
    record Includes(Normalization normalization) implements TextMetric {
        @Override
        public String name() {
            return "includes";
        }

        @Override
        public double score(String output, List<String> ideals) {
            String o = normalization.apply(output);
            return ideals.stream().anyMatch(i -> o.contains(normalization.apply(i))) ? 1 : 0;
        }
    }

    /**
     * {@code regex}: lm-eval's regex filter followed by exact match. With a capturing group, the first
     * match's group 1 must equal a normalised ideal (an answer extracted from a longer output, e.g.
     * {@code "answer: (\\d+)"}); without one, the pattern only has to be found.
     */
    record RegexMatch(java.util.regex.Pattern pattern, Normalization normalization) implements TextMetric {
        @Override
        public String name() {
            return "regex";
        }

        @Override
        public double score(String output, List<String> ideals) {
            java.util.regex.Matcher m = pattern.matcher(output);
            if (!m.find()) {
                return 0;
            }
            if (m.groupCount() == 0) {
                return 1;
            }
            String extracted = m.group(1) == null ? "" : normalization.apply(m.group(1));
            return ideals.stream().anyMatch(i -> normalization.apply(i).equals(extracted)) ? 1 : 0;
        }
    }

    /**
     * {@code f1}: SQuAD's token F1 over whitespace tokens of the normalised texts, counted as
     * multisets: 2PR/(P+R) with P = common/output tokens, R = common/ideal tokens. Two empty texts
     * agree (1), one empty text does not (0), as SQuAD scores them.
     */
    record TokenF1(Normalization normalization) implements TextMetric {
        @Override
        public String name() {
            return "f1";
        }

        @Override
        public double score(String output, List<String> ideals) {
            double best = 0;
            for (String ideal : ideals) {
                best = Math.max(best, f1(tokens(output), tokens(ideal)));
            }
            return best;
        }

        private List<String> tokens(String text) {
            String s = normalization.apply(text).strip();
            return s.isEmpty() ? List.of() : List.of(s.split("\\s+"));
        }

        static double f1(List<String> predicted, List<String> gold) {
            if (predicted.isEmpty() || gold.isEmpty()) {
                return predicted.isEmpty() && gold.isEmpty() ? 1 : 0;
            }
            java.util.Map<String, Integer> counts = new java.util.HashMap<>();
            gold.forEach(t -> counts.merge(t, 1, Integer::sum));
            int common = 0;
            for (String t : predicted) {
                Integer left = counts.get(t);
                if (left != null && left > 0) {
                    common++;
                    counts.put(t, left - 1);
                }
            }
            if (common == 0) {
                return 0;
            }
            double precision = (double) common / predicted.size();
            double recall = (double) common / gold.size();
            return 2 * precision * recall / (precision + recall);
        }
    }
}
