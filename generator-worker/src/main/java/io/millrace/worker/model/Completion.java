package io.millrace.worker.model;

/**
 * The result of one {@link DecoderModel#generate} call.
 *
 * @param text the decoded new tokens; a matched stop string and everything after it is cut off,
 *     an end-of-sequence token is not part of it
 * @param completionTokens tokens the model produced, counting the end-of-sequence token or the
 *     token that completed a stop string (as vLLM and OpenAI count usage)
 * @param finishReason "stop" (EOS or a stop string) or "length" (maxNewTokens or the context ran out)
 * @param firstTokenNanos from arrival (the start of generate(), or the engine's submit) until the
 *     first new token was chosen
 * @param totalNanos from arrival until the completion was finished
 * @param logprobs one entry per completion token when {@link SamplingParams#logprobs()}, else null
 * @param promptLogprobs one entry per prompt token after the first when {@link SamplingParams#echo()}, else null
 * @param queueNanos from arrival until generation started (time waiting for a place in the
 *     running batch); 0 when it started at once
 */
public record Completion(String text, int promptTokens, int completionTokens, String finishReason,
        long firstTokenNanos, long totalNanos, java.util.List<TokenLogprob> logprobs,
        java.util.List<TokenLogprob> promptLogprobs, long queueNanos) {

    public Completion(String text, int promptTokens, int completionTokens, String finishReason, long firstTokenNanos,
            long totalNanos) {
        this(text, promptTokens, completionTokens, finishReason, firstTokenNanos, totalNanos, null, null, 0);
    }
}
