package io.millrace.worker.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One completion in progress: picks each next token from the model's logits (penalties, then
 * temperature, top-k and top-p with the request's own seeded random), records logprobs, and
 * decides when the completion ends. {@link DecoderModel#generate} and {@link BatchEngine} both
 * drive one per request, so a request's tokens depend only on its own logits, never on what else
 * runs beside it.
 *
 * <p>Not thread-safe: one inference thread drives it.
 */
final class Decoding {
    private final int[] promptIds;
    private final SamplingParams params;
    private final int budget;
    private final HfTokenizer tokenizer;
    private final int[] eosTokenIds;
    private final long startNanos;
    /** From arrival until the engine admitted the request to its running batch; 0 when run at once. */
    private long queueNanos;
    private boolean admitted;
    private final Sampler sampler;
    private final Penalties penalties;
    private final int[] generated;
    private final List<TokenLogprob> logprobs;
    private final List<TokenLogprob> promptLogprobs;
    private int count;
    private int textTokens;
    private int lastToken = -1;
    private long firstTokenNanos;
    private String finishReason;
    private String stopTrimmed;
    /** Characters of the text already told to the listener. */
    private int streamed;

    /**
     * @param budget new tokens allowed: maxNewTokens, cut to what the context leaves
     * @param eosTokenIds sorted
     * @param startNanos when the request arrived, for the completion's timings
     */
    Decoding(int[] promptIds, SamplingParams params, int budget, long seed, HfTokenizer tokenizer, int[] eosTokenIds,
            long startNanos) {
        this.promptIds = promptIds;
        this.params = params;
        this.budget = budget;
        this.tokenizer = tokenizer;
        this.eosTokenIds = eosTokenIds;
        this.startNanos = startNanos;
        this.sampler = new Sampler(params.temperature(), params.topP(), params.topK(), seed);
        this.penalties = new Penalties(params.presencePenalty(), params.frequencyPenalty());
        this.generated = new int[budget];
        this.logprobs = params.logprobs() ? new ArrayList<>() : null;
        this.promptLogprobs = params.echo() ? new ArrayList<>() : null;
        if (budget == 0) {
            finishReason = "length";
        }
    }

    /** Whether the model must score the prompt (echo): then every prompt position's logits go to {@link #scorePrompt}. */
    boolean scoresPrompt() {
        return promptLogprobs != null;
    }

    /** Whether the completion is over: no more tokens to pick (a prompt to score may remain). */
    boolean finished() {
        return finishReason != null;
    }

    /** Tokens the sequence may reach: the prompt and every new token it is allowed. */
    int maxContext() {
        return promptIds.length + budget;
    }

    /** The token picked last: the next input of the model. */
    int lastToken() {
        return lastToken;
    }

    /** Tokens picked so far. */
    int generatedCount() {
        return count;
    }

    /** The position of {@link #lastToken} in the sequence, prompt included. */
    int lastPosition() {
        return promptIds.length + count - 1;
    }

    /**
     * Records the logprobs of prompt tokens from the logits of positions {@code from, from+1, …}
     * (position i's logits predict token i+1). Call it for every position in order.
     */
    void scorePrompt(float[][] logitsByPosition, int from) {
        for (int p = 0; p < logitsByPosition.length; p++) {
            int next = from + p + 1;
            if (next < promptIds.length) {
                promptLogprobs.add(Logprobs.entry(promptIds[next], Logprobs.logSoftmax(logitsByPosition[p]),
                        params.topLogprobs(), tokenizer));
            }
        }
    }

    /** Picks the next token from the logits of the last position. */
    void accept(float[] logits) {
        if (finished()) {
            throw new IllegalStateException("the completion is already finished (" + finishReason + ")");
        }
        int token = sampler.next(penalties.apply(logits));
        penalties.record(token);
        if (logprobs != null) {
            logprobs.add(Logprobs.entry(token, Logprobs.logSoftmax(logits), params.topLogprobs(), tokenizer));
        }
        if (count++ == 0) {
            firstTokenNanos = System.nanoTime() - startNanos;
        }
        lastToken = token;
        if (Arrays.binarySearch(eosTokenIds, token) >= 0) {
            finishReason = "stop";
            return;
        }
        generated[textTokens++] = token;
        if (!params.stop().isEmpty()) {
            stopTrimmed = trimAtStop(tokenizer.decode(generated, textTokens), params.stop());
            if (stopTrimmed != null) {
                finishReason = "stop";
                return;
            }
        }
        if (count == budget) {
            finishReason = "length";
        }
        if (params.listener() != null && finishReason == null) {
            stream(tokenizer.decode(generated, textTokens));
        }
    }

    /**
     * Tells the listener the text that can no longer change: not a trailing U+FFFD (a character
     * whose bytes are not all generated yet), nor a tail that may still begin a stop string. What
     * is held back, and the end, come with the result.
     */
    private void stream(String text) {
        int stable = text.length();
        while (stable > 0 && text.charAt(stable - 1) == '\uFFFD') {
            stable--;
        }
        stable -= StopHoldback.length(text.substring(0, stable), params.stop());
        if (stable > streamed) {
            params.listener().onText(text.substring(streamed, stable));
            streamed = stable;
        }
    }

    /** The request leaves the queue and joins the running batch now; a preempted request readmitted keeps its first queue time. */
    void markAdmitted() {
        if (!admitted) {
            queueNanos = System.nanoTime() - startNanos;
            admitted = true;
        }
    }

    /**
     * The tokens whose KV a preempted sequence recomputes before decoding on: the prompt and every
     * picked token but the last, which is the next step's input.
     */
    int[] contextBeforeLastToken() {
        if (count == 0) {
            return promptIds;
        }
        int[] context = Arrays.copyOf(promptIds, promptIds.length + count - 1);
        System.arraycopy(generated, 0, context, promptIds.length, count - 1);
        return context;
    }

    /** Forgets the prompt logprobs scored so far: a sequence preempted before its first token scores its prompt again. */
    void restartPromptScoring() {
        if (count > 0) {
            throw new IllegalStateException("the prompt was scored whole before the first token: nothing to restart");
        }
        if (promptLogprobs != null) {
            promptLogprobs.clear();
        }
    }

    Completion completion() {
        String text = stopTrimmed != null ? stopTrimmed : tokenizer.decode(generated, textTokens);
        return new Completion(text, promptIds.length, count, finishReason, firstTokenNanos, System.nanoTime() - startNanos,
                logprobs == null ? null : List.copyOf(logprobs), promptLogprobs == null ? null : List.copyOf(promptLogprobs),
                queueNanos);
    }

    /** The text before the earliest stop string, or null if none occurs. */
    private static String trimAtStop(String text, List<String> stop) {
        int cut = -1;
        for (String s : stop) {
            int at = text.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        return cut < 0 ? null : text.substring(0, cut);
    }
}
