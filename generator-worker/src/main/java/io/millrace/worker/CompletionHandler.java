package io.millrace.worker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import io.millrace.protocol.SubmittedAt;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.Timings;
import io.millrace.worker.model.Completion;
import io.millrace.worker.model.Lane;
import io.millrace.worker.model.SamplingParams;
import io.millrace.worker.model.TokenLogprob;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one routed request with one result: a {@code chat.completion} (or, for
 * {@code /v1/completions}, a {@code text_completion} with one choice per prompt), or an error
 * result that says why not. {@link #submit} hands the request's choices to its model's engine and returns at
 * once, so the caller can keep many requests in flight for the engine to batch.
 *
 * <p>The returned future completes normally for every outcome of the request itself, errors
 * included, so one request cannot block its partition. It completes exceptionally only with
 * {@link WorkerErrors.EngineFailedException}, when the engine is gone. Cancelling it cancels the
 * request's generation.
 */
final class CompletionHandler implements RequestAnswerer {
    private static final Logger log = LoggerFactory.getLogger(CompletionHandler.class);

    private final Map<String, ServedModel> models;
    private final Clock clock;
    private final Executor responses;
    private final DeltaPublisher deltas;

    /**
     * @param responses where results are built (JSON, logprobs): not on the engine's inference
     *                  thread, which completes the futures and must get back to the batch
     */
    CompletionHandler(Map<String, ServedModel> models, Clock clock, Executor responses) {
        this(models, clock, responses, null);
    }

    /** @param deltas publishes the text of {@code stream: true} requests as it comes; null: none is streamed */
    CompletionHandler(Map<String, ServedModel> models, Clock clock, Executor responses, DeltaPublisher deltas) {
        this.models = Map.copyOf(models);
        this.clock = clock;
        this.responses = responses;
        this.deltas = deltas;
    }

    /** Whether the client waits for this request's text as it comes: a lone request (not a batch line) asking {@code stream: true}. */
    private boolean streamed(RequestEvent request) {
        return deltas != null && request.batchId() == null && request.body() != null && request.body().path("stream").asBoolean(false);
    }

    /** A finished choice and when its future completed ({@link System#nanoTime()}). */
    private record Choice(Completion completion, long doneNanos) {
        /** When generation of this choice started: after its wait in the engine's queue. */
        long startNanos() {
            return doneNanos - completion.totalNanos() + completion.queueNanos();
        }
    }

    @Override
    public CompletableFuture<ResultEvent> submit(RequestEvent request) {
        String modelName = request.model() != null ? request.model() : request.requestedModel();
        ServedModel served = modelName == null ? null : models.get(modelName);
        if (served == null) {
            return answer(ResultEvent.failure(request, 404, ErrorInfo.of(ErrorCodes.MODEL_NOT_FOUND, "model '" + modelName
                    + "' is not loaded by this worker (it serves " + models.keySet() + ")").atParam("model"), clock.millis()));
        }
        if (ChatRequestValidator.COMPLETIONS.equals(request.url())) {
            return submitLegacy(request, served, modelName);
        }
        long arrivalNanos = System.nanoTime();
        ChatRequest chat;
        int[] prompt;
        try {
            chat = ChatRequest.from(request.body());
            prompt = served.model().encodeChat(chat.messages());
        } catch (RuntimeException e) {
            // The router validated the body, so this is input the chat template cannot render: the
            // request's fault, and so not retried (RetrySchedule).
            return answer(cannotRender(request, e));
        }
        int context = served.model().contextLength();
        if (prompt.length >= context) {
            return answer(ResultEvent.failure(request, 400, ErrorInfo.of(ErrorCodes.CONTEXT_LENGTH_EXCEEDED, "the messages are "
                    + prompt.length + " tokens but model '" + modelName + "' has a context of " + context
                    + " tokens: shorten the messages").atParam("messages"), clock.millis()));
        }
        List<SamplingParams> params = new ArrayList<>();
        try {
            if (chat.n() < 1) {
                throw new IllegalArgumentException("n is " + chat.n() + ": it must be at least 1");
            }
            boolean stream = streamed(request);
            for (int i = 0; i < chat.n(); i++) {
                SamplingParams p = chat.sampling(i, prompt.length, context);
                params.add(stream ? p.withListener(deltas.listener(request.requestId(), i)) : p);
            }
        } catch (IllegalArgumentException e) {
            // A client that bypassed the router's validation (the router rejects these first).
            return answer(ResultEvent.failure(request, 400, ErrorInfo.of(ErrorCodes.INVALID_PARAMETER, e.getMessage()),
                    clock.millis()));
        }

        return generate(request, served, modelName, java.util.Collections.nCopies(params.size(), prompt), params, prompt.length,
                arrivalNanos, chatShape(chat));
    }

    /**
     * Submits one prompt per choice to the model's engine and writes the result once every choice is
     * done; cancelling the result (a revoked partition, a cancelled batch or request) stops them all.
     */
    private CompletableFuture<ResultEvent> generate(RequestEvent request, ServedModel served, String modelName,
            List<int[]> prompts, List<SamplingParams> params, int promptTokens, long arrivalNanos, BodyShape shape) {
        List<CompletableFuture<Completion>> submitted = new ArrayList<>();
        List<CompletableFuture<Choice>> choices = new ArrayList<>();
        // A client waits for an interactive request: the engine admits it ahead of batch work.
        Lane lane = request.interactive() ? Lane.INTERACTIVE : Lane.BATCH;
        try {
            for (int i = 0; i < params.size(); i++) {
                CompletableFuture<Completion> f = served.engine().submit(prompts.get(i), params.get(i), lane);
                submitted.add(f);
                choices.add(f.thenApply(c -> new Choice(c, System.nanoTime())));
            }
        } catch (RuntimeException e) {
            submitted.forEach(f -> f.cancel(true));
            return WorkerErrors.engineBroken(e) ? CompletableFuture.failedFuture(engineFailure(request, modelName, e))
                    : answer(generationFailed(request, e));
        }
        CompletableFuture<ResultEvent> result = CompletableFuture.allOf(choices.toArray(CompletableFuture[]::new))
                .handleAsync((done, failure) -> {
                    if (failure != null) {
                        return generationFailedOrThrow(request, modelName, failure);
                    }
                    try {
                        return completion(request, served, promptTokens,
                                choices.stream().map(CompletableFuture::join).toList(), arrivalNanos, shape);
                    } catch (RuntimeException e) {
                        // A completion this worker cannot write up is that request's failure, not the engine's.
                        return generationFailed(request, e);
                    }
                }, responses);
        // Cancelling the answer (a revoked partition, a cancelled batch) must stop the generation too.
        result.whenComplete((r, failure) -> {
            if (failure != null) {
                submitted.forEach(f -> f.cancel(true));
            }
        });
        return result;
    }

    private interface BodyShape {
        String id(RequestEvent request);

        String object();

        void choice(ObjectNode out, int index, Completion c);

        default void extras(ObjectNode body, List<Choice> choices) {}
    }

    /** OpenAI's {@code chat.completion}: {@code choices[i]} = {index, message, logprobs, finish_reason}. */
    private static BodyShape chatShape(ChatRequest chat) {
        return new BodyShape() {
            @Override
            public String id(RequestEvent r) {
                return Ids.completionId(r.requestId());
            }

            @Override
            public String object() {
                return "chat.completion";
            }

            @Override
            public void choice(ObjectNode o, int i, Completion c) {
                o.put("index", i);
                ObjectNode message = o.putObject("message");
                message.put("role", "assistant");
                message.put("content", c.text());
                message.putNull("refusal");
                if (chat.logprobs() && c.logprobs() != null) {
                    o.set("logprobs", LogprobsJson.choice(c.logprobs(), chat.topLogprobs()));
                } else {
                    o.putNull("logprobs");
                }
                o.put("finish_reason", c.finishReason());
            }

            @Override
            public void extras(ObjectNode body, List<Choice> done) {
                if (chat.promptLogprobs() != null) {
                    List<TokenLogprob> scored = done.get(0).completion().promptLogprobs();
                    if (scored != null) {
                        body.set("prompt_logprobs", LogprobsJson.prompt(scored, chat.promptLogprobs()));
                    } else {
                        body.putNull("prompt_logprobs");
                    }
                }
            }
        };
    }

    private ResultEvent completion(RequestEvent request, ServedModel served, int promptTokens, List<Choice> choices,
            long arrivalNanos, BodyShape shape) {
        long nowNanos = System.nanoTime();
        long nowMillis = clock.millis();
        long startNanos = Long.MAX_VALUE;
        long firstTokenNanos = Long.MAX_VALUE;
        long endNanos = Long.MIN_VALUE;
        int completionTokens = 0;
        ObjectNode body = Json.object();
        body.put("id", shape.id(request));
        body.put("object", shape.object());
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (int i = 0; i < choices.size(); i++) {
            Choice choice = choices.get(i);
            Completion c = choice.completion();
            completionTokens += c.completionTokens();
            startNanos = Math.min(startNanos, choice.startNanos());
            endNanos = Math.max(endNanos, choice.doneNanos());
            if (c.completionTokens() > 0) {
                firstTokenNanos = Math.min(firstTokenNanos, choice.startNanos() - c.queueNanos() + c.firstTokenNanos());
            }
            // As vLLM counts it, time to first token runs from arrival, queue included.
            served.metrics().choice(Math.max(0, choice.startNanos() - arrivalNanos), c.firstTokenNanos(),
                    c.totalNanos() - c.firstTokenNanos(), c.completionTokens());
            shape.choice(out.addObject(), i, c);
        }
        served.metrics().request(Math.max(0, endNanos - arrivalNanos), promptTokens, completionTokens);

        // Wall-clock times of the engine's start and end, from the monotonic clock's distances to now.
        long startMillis = nowMillis - TimeUnit.NANOSECONDS.toMillis(nowNanos - startNanos);
        long endMillis = nowMillis - TimeUnit.NANOSECONDS.toMillis(nowNanos - endNanos);
        body.put("created", startMillis / 1000);
        body.put("model", served.model().name());
        body.put("system_fingerprint", "millrace-" + served.model().executionProvider().toLowerCase());
        body.set("choices", out);
        ObjectNode usage = body.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        shape.extras(body, choices);
        if (request.route() != null) {
            // An extension field, as cached/generated: batch output lines and HTTP answers say why this model.
            body.set("route", Json.MAPPER.valueToTree(request.route()));
        }
        // The router stamps an implausible submitted_at, but any client can write to a generation
        // topic: measured from a time that cannot be the submission, queue and end-to-end would be
        // decades long. Such a request counts from its arrival at this worker instead.
        long arrivalMillis = nowMillis - TimeUnit.NANOSECONDS.toMillis(nowNanos - arrivalNanos);
        long submitted = SubmittedAt.plausible(request.submittedAt(), arrivalMillis) ? request.submittedAt() : arrivalMillis;
        Timings timings = new Timings(Math.max(0, startMillis - submitted),
                firstTokenNanos == Long.MAX_VALUE ? null : Math.max(0, TimeUnit.NANOSECONDS.toMillis(firstTokenNanos - startNanos)),
                Math.max(0, TimeUnit.NANOSECONDS.toMillis(endNanos - startNanos)), Math.max(0, endMillis - submitted));
        return new ResultEvent(request.requestId(), request.batchId(), request.customId(), request.line(),
                served.model().name(), 200, body, null, true, endMillis, timings, request.tenant(), false, request.route());
    }

    /**
     * A legacy {@code /v1/completions} request: one submit per prompt, so a list of prompts batches
     * in the engine like the choices of a chat request; choice i answers prompt i.
     */
    private CompletableFuture<ResultEvent> submitLegacy(RequestEvent request, ServedModel served, String modelName) {
        long arrivalNanos = System.nanoTime();
        CompletionRequest legacy;
        try {
            legacy = CompletionRequest.from(request.body(), served.model());
        } catch (RuntimeException e) {
            return answer(cannotRender(request, e));
        }
        int context = served.model().contextLength();
        List<SamplingParams> params = new ArrayList<>();
        List<SamplingParams.TextListener> listeners = new ArrayList<>();
        boolean stream = streamed(request);
        int promptTokens = 0;
        try {
            for (int i = 0; i < legacy.prompts().size(); i++) {
                int[] ids = legacy.prompts().get(i).ids();
                String param = legacy.prompts().size() == 1 ? "prompt" : "prompt[" + i + "]";
                if (ids.length == 0) {
                    return answer(ResultEvent.failure(request, 400, ErrorInfo.of(ErrorCodes.INVALID_PARAMETER, param
                            + " encodes to no tokens: a decoder needs at least one to continue").atParam(param), clock.millis()));
                }
                if (ids.length >= context) {
                    return answer(ResultEvent.failure(request, 400, ErrorInfo.of(ErrorCodes.CONTEXT_LENGTH_EXCEEDED, param + " is "
                            + ids.length + " tokens but model '" + modelName + "' has a context of " + context
                            + " tokens: shorten it").atParam(param), clock.millis()));
                }
                promptTokens += ids.length;
                SamplingParams p = legacy.sampling(ids.length, context);
                if (stream) {
                    listeners.add(deltas.listener(request.requestId(), i));
                    p = p.withListener(listeners.get(i));
                }
                params.add(p);
            }
        } catch (IllegalArgumentException e) {
            return answer(ResultEvent.failure(request, 400, ErrorInfo.of(ErrorCodes.INVALID_PARAMETER, e.getMessage()),
                    clock.millis()));
        }
        if (stream && legacy.echo()) {
            // The choice's text starts with the prompt: streamed first, before any generated text.
            for (int i = 0; i < listeners.size(); i++) {
                listeners.get(i).onText(legacy.prompts().get(i).echoText(served.model()));
            }
        }
        return generate(request, served, modelName, legacy.prompts().stream().map(CompletionRequest.Prompt::ids).toList(), params,
                promptTokens, arrivalNanos, new LegacyShape(legacy, served));
    }

    /** OpenAI's {@code text_completion}: {@code choices[i]} = {index, text, logprobs, finish_reason}. */
    private record LegacyShape(CompletionRequest legacy, ServedModel served) implements BodyShape {
        @Override
        public String id(RequestEvent r) {
            return Ids.textCompletionId(r.requestId());
        }

        @Override
        public String object() {
            return "text_completion";
        }

        @Override
        public void choice(ObjectNode o, int i, Completion c) {
            CompletionRequest.Prompt prompt = legacy.prompts().get(i);
            String echoed = legacy.echo() ? prompt.echoText(served.model()) : "";
            o.put("index", i);
            o.put("text", echoed + c.text());
            if (legacy.logprobs() != null) {
                int firstId = prompt.ids()[0];
                String first = legacy.echo() ? served.model().tokenText(firstId) : null;
                o.set("logprobs", LegacyLogprobsJson.of(first, served.model().textBytes(firstId), c.promptLogprobs(), c.logprobs(),
                        legacy.logprobs(), echoed.codePointCount(0, echoed.length())));
            } else {
                o.putNull("logprobs");
            }
            o.put("finish_reason", c.finishReason());
        }
    }

    private ResultEvent generationFailedOrThrow(RequestEvent request, String model, Throwable failure) {
        if (WorkerErrors.engineBroken(failure)) {
            throw engineFailure(request, model, failure);
        }
        return generationFailed(request, WorkerErrors.unwrap(failure));
    }

    private ResultEvent generationFailed(RequestEvent request, Throwable e) {
        log.warn("request {} failed in generation: {}", request.requestId(), e.toString());
        return ResultEvent.failure(request, 500, ErrorInfo.of(ErrorCodes.GENERATION_FAILED,
                "generation failed: " + e.getMessage()), clock.millis());
    }

    /** A body this worker cannot turn into prompts: answered at once with a 400, never retried. */
    private ResultEvent cannotRender(RequestEvent request, RuntimeException e) {
        log.warn("request {} cannot be rendered into a prompt: {}", request.requestId(), e.toString());
        return ResultEvent.failure(request, 400, ErrorInfo.of(ErrorCodes.INVALID_BODY,
                "the request cannot be turned into a prompt: " + e.getMessage()), clock.millis());
    }

    private static WorkerErrors.EngineFailedException engineFailure(RequestEvent request, String model, Throwable failure) {
        Throwable cause = WorkerErrors.unwrap(failure);
        return new WorkerErrors.EngineFailedException("the engine of model '" + model + "' failed request "
                + request.requestId() + " as a whole engine would (" + cause + "): stopping rather than answering"
                + " every request with an error", cause);
    }

    private static CompletableFuture<ResultEvent> answer(ResultEvent r) {
        return CompletableFuture.completedFuture(r);
    }
}
