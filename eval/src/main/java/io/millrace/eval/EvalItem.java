package io.millrace.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.List;

/** One dataset line. {@code id} is stable: {@code i} and the 1-based line number, zero-padded. */
public sealed interface EvalItem {
    String id();

    /** A generate sample: chat messages and the ideal answers (any one is right). */
    record Generate(String id, ArrayNode messages, List<String> ideals) implements EvalItem {}

    /** A multiple-choice question: each choice is scored as a continuation of the query. */
    record Choice(String id, String query, List<String> choices, int gold) implements EvalItem {}
}
