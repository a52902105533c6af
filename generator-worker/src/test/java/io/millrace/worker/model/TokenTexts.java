package io.millrace.worker.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The text of token ids under a model directory's tokenizer, without loading the model: the
 * benchmark compares the completions of engines that report ids (the plain loop, transformers.js)
 * with those that report text (Millrace's engines).
 */
public final class TokenTexts {
    private TokenTexts() {}

    public static List<String> decode(Path modelDir, List<int[]> completions) {
        try (HfTokenizer tokenizer = HfTokenizer.load(modelDir.resolve("tokenizer.json"))) {
            List<String> texts = new ArrayList<>();
            for (int[] ids : completions) {
                texts.add(tokenizer.decode(ids, ids.length));
            }
            return texts;
        }
    }
}
