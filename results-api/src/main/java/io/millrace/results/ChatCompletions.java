package io.millrace.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Ids;
import io.millrace.protocol.InvalidInput;
import io.millrace.protocol.Json;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code POST /v1/chat/completions} and the legacy {@code POST /v1/completions}, answered
 * synchronously through the pipeline: the body becomes
 * a request event on {@code millrace.requests} like any other (router dedup, validation, routing,
 * a worker), and the HTTP answer is its committed result.
 *
 * <p>The body is checked here first with the same validator the router uses, so a bad request is
 * answered at once with OpenAI's error object instead of a round trip. An {@code Idempotency-Key}
 * header names the request: a retried POST with the same key returns the first answer and never
 * generates again (the router drops the repeat as a duplicate; the answer comes from the view or
 * the result follower). Without one, each POST is a new request.
 */
final class ChatCompletions {
    /** Longest Idempotency-Key accepted; Stripe and OpenAI-compatible gateways use up to 255. */
    static final int MAX_IDEMPOTENCY_KEY = 255;
    /** What the worker generates for a /v1/completions body without max_tokens, as OpenAI and vLLM do. */
    static final long LEGACY_DEFAULT_MAX_TOKENS = 16;

    private final ChatRequestValidator validator;
    private final ModelCatalog models;
    private final RequestSubmitter submitter;
    private final ResultFollower follower;
    private final ResultsView view;
    private final Duration timeout;
    private final Clock clock;

    ChatCompletions(ModelCatalog models, RequestSubmitter submitter, ResultFollower follower, ResultsView view,
            Duration timeout, Clock clock) {
        this.models = models;
        this.validator = new ChatRequestValidator(models);
        this.submitter = submitter;
        this.follower = follower;
        this.view = view;
        this.timeout = timeout;
        this.clock = clock;
    }

    /** An HTTP answer: status, JSON body and extra headers. */
    record Reply(int status, JsonNode body, Map<String, String> headers) {
        static Reply error(ApiError e) {
            return new Reply(e.status(), e.body(), Map.of());
        }
    }

    /**
     * What a request may cost against a tokens-per-minute limit, before it runs: its prompt
     * (characters / 4, the usual estimate) plus the most it may generate (max_tokens, else the
     * model's context). Unreadable bodies cost nothing: they are refused without generating.
     */
    long tokenCost(Body parsed) {
        if (parsed.json() == null) {
            return 0;
        }
        try {
            JsonNode body = parsed.json();
            long chars = 0;
            for (JsonNode m : body.path("messages")) {
                chars += m.path("content").toString().length();
            }
            // A legacy prompt: its JSON's length (token ids count about a token per 4 characters too).
            boolean legacy = body.has("prompt") && !body.has("messages");
            if (legacy) {
                chars += body.get("prompt").toString().length();
            }
            JsonNode max = body.hasNonNull("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
            long limit = max != null && max.canConvertToLong() ? Math.max(0, max.asLong())
                    : legacy ? LEGACY_DEFAULT_MAX_TOKENS
                    : models.find(body.path("model").asText()).map(e -> (long) e.contextLength()).orElse(0L);
            return chars / 4 + limit;
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /**
     * A request body read once: its JSON, or why it is unreadable. The rate limiter, the choice of
     * a streamed answer and the request itself all look at it; a body of up to 900 KiB is parsed
     * once, not once for each.
     */
    record Body(JsonNode json, InvalidInput problem) {
        static Body read(byte[] raw) {
            try {
                return new Body(Json.readInput(Json.TREE_READER, raw), null);
            } catch (InvalidInput e) {
                return new Body(null, e);
            }
        }
    }

    CompletableFuture<Reply> handle(byte[] rawBody, String idempotencyKey) {
        return handle(rawBody, idempotencyKey, null);
    }

    /** A request ready to publish, or the answer that refuses it. */
    sealed interface Prepared {
        record Ready(RequestEvent request, boolean idempotent) implements Prepared {}

        record Refused(Reply reply) implements Prepared {}
    }

    /**
     * Reads and checks a body, and names the request: everything before it is published, shared
     * by the synchronous and the streamed answer.
     */
    Prepared prepare(Body parsed, String idempotencyKey, String tenant) {
        return prepare(parsed, idempotencyKey, tenant, ChatRequestValidator.CHAT_COMPLETIONS);
    }

    /** @param url the endpoint, {@link ChatRequestValidator#CHAT_COMPLETIONS} or {@link ChatRequestValidator#COMPLETIONS} */
    Prepared prepare(Body parsed, String idempotencyKey, String tenant, String url) {
        JsonNode body = parsed.json();
        if (parsed.problem() != null) {
            InvalidInput e = parsed.problem();
            String where = e.lineNr() > 0 ? " at line " + e.lineNr() + ", column " + e.columnNr() : "";
            return new Prepared.Refused(Reply.error(ApiError.invalid(e.code(), null, "The request body cannot be read" + where + ": "
                    + e.problem() + " (send one JSON object).")));
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY)) {
            return new Prepared.Refused(Reply.error(ApiError.invalid("invalid_idempotency_key", null,
                    "The Idempotency-Key header must be 1 to " + MAX_IDEMPOTENCY_KEY + " characters.")));
        }
        // A key names a request within its tenant: two tenants' same key are two requests.
        // The same key on the two endpoints names two requests (chat's ids are kept as they were).
        String named = (tenant == null ? "" : tenant) + "\n" + idempotencyKey
                + (ChatRequestValidator.CHAT_COMPLETIONS.equals(url) ? "" : "\n" + url);
        String requestId = idempotencyKey == null ? "api-" + UUID.randomUUID() : "api-idem-" + Ids.sha256Hex(
                named.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
        RequestEvent request = new RequestEvent(requestId, null, null, null, "POST", url, body, null, clock.millis(), tenant,
                null, RequestEvent.INTERACTIVE);
        Optional<ErrorInfo> problem = validator.validate(request);
        if (problem.isPresent()) {
            ErrorInfo e = problem.get();
            return new Prepared.Refused(Reply.error(ApiError.invalid(e.code(), e.param(), e.message())));
        }
        return new Prepared.Ready(request, idempotencyKey != null);
    }

    /** Whether a body asks for a streamed answer ({@code "stream": true}). */
    static boolean streamed(Body body) {
        // An unreadable body is refused as it is by prepare().
        return body.json() != null && body.json().path("stream").asBoolean(false);
    }

    /** A stored result of an idempotent request of this tenant, if one was already answered. */
    Optional<ResultEvent> stored(RequestEvent request) {
        return view.result(request.requestId()).filter(r -> java.util.Objects.equals(r.tenant(), request.tenant()));
    }

    /** Waits for the result of a request and publishes it; the future completes when it is committed. */
    CompletableFuture<ResultEvent> submit(RequestEvent request) {
        CompletableFuture<ResultEvent> result = follower.await(request.requestId());
        return submitter.submit(request).thenCompose(sent -> result).whenComplete((r, e) -> {
            if (e != null) {
                result.cancel(false);
            }
        });
    }

    /** A result committed recently, which the view may not show yet. */
    Optional<ResultEvent> recent(String requestId) {
        return follower.recent(requestId);
    }

    /** The client of this request gave up: workers stop it (answered {@code request_cancelled}). */
    void cancel(RequestEvent request) {
        submitter.cancel(request.requestId(), clock.millis());
    }

    /** @param tenant the caller's tenant: the request and its result belong to it */
    CompletableFuture<Reply> handle(byte[] rawBody, String idempotencyKey, String tenant) {
        return handle(rawBody, idempotencyKey, tenant, ChatRequestValidator.CHAT_COMPLETIONS);
    }

    CompletableFuture<Reply> handle(byte[] rawBody, String idempotencyKey, String tenant, String url) {
        return handle(Body.read(rawBody), idempotencyKey, tenant, url);
    }

    CompletableFuture<Reply> handle(Body body, String idempotencyKey, String tenant, String url) {
        Prepared prepared = prepare(body, idempotencyKey, tenant, url);
        if (prepared instanceof Prepared.Refused refused) {
            return done(refused.reply());
        }
        RequestEvent request = ((Prepared.Ready) prepared).request();
        String requestId = request.requestId();
        if (((Prepared.Ready) prepared).idempotent()) {
            Optional<ResultEvent> stored = stored(request);
            if (stored.isPresent()) {
                return done(answer(stored.get()));
            }
        }
        CompletableFuture<ResultEvent> result = follower.await(requestId);
        return submitter.submit(request)
                .thenCompose(sent -> result)
                .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .handle((r, e) -> {
                    if (e == null) {
                        return answer(r);
                    }
                    result.cancel(false); // stop waiting; the request itself goes on
                    Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (cause instanceof TimeoutException) {
                        return new Reply(504, ApiError.timeout(timeout, requestId).body(), Map.of("x-request-id", requestId));
                    }
                    if (cause instanceof NotReadyException) {
                        return new Reply(503, ApiError.notReady().body(), Map.of("Retry-After", "1"));
                    }
                    throw new IllegalStateException("request " + requestId + " failed", cause);
                });
    }

    /** A committed result as the HTTP answer: the completion, or its error with the status it carries. */
    static Reply answer(ResultEvent r) {
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("x-request-id", r.requestId());
        // Where the time went, as the worker measured it: what a client needs to tell the
        // pipeline's overhead from generation (the latency benchmark reads these).
        if (r.timings() != null) {
            if (r.timings().queueMs() != null) {
                headers.put("x-millrace-queue-ms", Long.toString(r.timings().queueMs()));
            }
            if (r.timings().generationMs() != null) {
                headers.put("x-millrace-generation-ms", Long.toString(r.timings().generationMs()));
            }
        }
        if (r.succeeded()) {
            return new Reply(200, r.body(), headers);
        }
        ErrorInfo e = r.error();
        int status = r.statusCode() >= 400 && r.statusCode() <= 599 ? r.statusCode() : 500;
        ObjectNode body = new ApiError(status, status >= 500 ? ApiError.SERVER_ERROR : ApiError.INVALID_REQUEST, e.code(),
                e.message()).withParam(e.param()).body();
        return new Reply(status, body, headers);
    }

    private static CompletableFuture<Reply> done(Reply reply) {
        return CompletableFuture.completedFuture(reply);
    }
}
