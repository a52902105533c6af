package io.millrace.router;

import java.util.List;
import java.util.Locale;

/**
 * The design seed's routing rule ({@code is_simple_query}): a prompt under 100 characters with none
 * of the words "explain", "analyze", "compare" is simple and goes to the small model; anything else
 * to the large one. The auto route's fallback when its classifier is unavailable or unsure. Unlike
 * the seed, the words match in any case ("Explain ..." starts many prompts).
 */
final class SeedRule {
    static final int SHORT_CHARS = 100;
    static final List<String> ANALYSIS_WORDS = List.of("explain", "analyze", "compare");

    private SeedRule() {}

    static boolean simple(String prompt) {
        if (prompt.length() >= SHORT_CHARS) {
            return false;
        }
        String lower = prompt.toLowerCase(Locale.ROOT);
        return ANALYSIS_WORDS.stream().noneMatch(lower::contains);
    }
}
