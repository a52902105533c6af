package io.millrace.worker.model;

/**
 * The result of one {@link DecoderModel#generate} call.
 *
 * @param text the decoded new tokens; a matched stop string and everything after it is cut off,
 *     an end-of-sequence token is not part of it
 * @param completionTokens tokens the model produced, counting the end-of-sequence token or the
 *     token that completed a stop string (as vLLM and OpenAI count usage)
 * @param finishReason "stop" (EOS or a stop string) or "length" (maxNewTokens or the context ran out)
 * @param firstTokenNanos from the start of generate() until the first new token was chosen
 * @param totalNanos from the start of generate() until it returned
 */
public record Completion(String text, int promptTokens, int completionTokens, String finishReason,
        long firstTokenNanos, long totalNanos) {}
