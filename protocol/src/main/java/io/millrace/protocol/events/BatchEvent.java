package io.millrace.protocol.events;

import java.util.Map;

/**
 * A submitted batch on {@code millrace.batches}, keyed by batch id: how many results to expect.
 *
 * @param total     lines in the input file, valid or not: each gets exactly one result
 * @param inputFile name of the input file, for display
 * @param metadata  caller metadata (OpenAI: at most 16 pairs)
 */
public record BatchEvent(
        String batchId,
        String endpoint,
        String inputFile,
        long total,
        long createdAt,
        Map<String, String> metadata) {}
