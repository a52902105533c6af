package io.millrace.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import io.millrace.protocol.SubmittedAt;
import io.millrace.protocol.events.DeltaEvent;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.Timings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the requests routed to one {@link RemoteModel} by calling its server: one result per
 * request, whatever happens. infra runs it inside the generator-worker's consume loop (the
 * {@code remote} role), which commits each result with the offset of its request, so results are
 * exactly once while the call itself is at least once: a call may be repeated (a retry here, or the
 * partition's next owner after a crash), and each carries the same {@code Idempotency-Key} (the
 * request id) for servers that honour it.
 *
 * <p>At most {@link RemoteModel#concurrency} calls at once ({@link ConcurrencyLimiter}, interactive
 * requests first). A call that gets no answer or a "later" answer is tried again after a back-off
 * ({@link RetryPolicy}, honouring {@code Retry-After}) while attempts are left, then answered
 * {@code generation_failed} (502), which the worker's retry tiers and the router's circuit breaker
 * count as any failed generation. A final refusal (a 4xx) is answered at once
 * ({@code remote_rejected}). Streamed requests are streamed from the server and their text passed
 * on as deltas ({@link StreamAssembler}). The result's usage is the server's, its cost priced from
 * the deployment file.
 */
public final class RemoteAnswerer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteAnswerer.class);
    /** Longest {@code Idempotency-Key} gateways accept; longer request ids are sent hashed. */
    static final int MAX_IDEMPOTENCY_KEY = 255;
    /** How much of a refusal's body is read for its message. */
    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final RemoteModel model;
    private final ApiKey key;
    private final RetryPolicy policy;
    private final HttpClient http;
    private final Clock clock;
    private final DoubleSupplier random;
    private final ConcurrencyLimiter limiter;
    private final ScheduledExecutorService timers;
    /** Reads streamed answers, which block on the socket: at most one per call slot. */
    private final ExecutorService streams;

    public RemoteAnswerer(RemoteModel model, ApiKey key, Clock clock) {
        this(model, key, RetryPolicy.of(model.maxAttempts()), clock, () -> ThreadLocalRandom.current().nextDouble());
    }

    RemoteAnswerer(RemoteModel model, ApiKey key, RetryPolicy policy, Clock clock, DoubleSupplier random) {
        this.model = model;
        this.key = key;
        this.policy = policy;
        this.clock = clock;
        this.random = random;
        this.limiter = new ConcurrencyLimiter(model.concurrency());
        this.timers = Executors.newSingleThreadScheduledExecutor(daemon("millrace-remote-timer-" + model.name()));
        this.streams = Executors.newFixedThreadPool(model.concurrency(), daemon("millrace-remote-stream-" + model.name()));
        // HTTP/1.1: a plain-http server is never asked to upgrade, and each slot keeps its own connection.
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(model.timeout().compareTo(Duration.ofSeconds(10)) < 0 ? model.timeout() : Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** One request to its one result; the future completes normally for every outcome, and cancelling it stops the call. */
    public CompletableFuture<ResultEvent> answer(RequestEvent request, Consumer<DeltaEvent> deltas) {
        Call call = new Call(request, deltas);
        call.result.whenComplete((r, e) -> {
            if (e instanceof CancellationException) {
                call.cancel();
            }
        });
        limiter.submit(request.interactive(), call);
        return call.result;
    }

    /** The served name of the model it answers for. */
    public String name() {
        return model.name();
    }

    /** Calls running now (the heartbeat's {@code running}). */
    public int running() {
        return limiter.running();
    }

    /** Requests waiting for a call slot (the heartbeat's {@code waiting}). */
    public int waiting() {
        return limiter.waiting();
    }

    @Override
    public void close() {
        timers.shutdownNow();
        streams.shutdownNow();
    }

    /** What one attempt got: an answer, a refusal with its status, or nothing at all. */
    private sealed interface Outcome permits Answered, Refused {}

    private record Answered(ObjectNode body, long firstTextNanos) implements Outcome {}

    private record Refused(int status, String message, String param, OptionalLong retryAfterMs) implements Outcome {}

    /** One request's calls, from its slot to its result. */
    private final class Call implements Runnable {
        final RequestEvent request;
        final Consumer<DeltaEvent> deltas;
        final CompletableFuture<ResultEvent> result = new CompletableFuture<>();
        final boolean streamed;
        final AtomicBoolean released = new AtomicBoolean();
        volatile CompletableFuture<?> inFlight;
        /** The exchange of the current attempt, and its streamed body once headers came: abandoned ones are aborted. */
        volatile CompletableFuture<?> exchange;
        volatile InputStream body;
        volatile ScheduledFuture<?> pending;
        volatile long startMs;
        volatile long startNanos;
        int attempts;

        Call(RequestEvent request, Consumer<DeltaEvent> deltas) {
            this.request = request;
            this.deltas = deltas;
            // Only a lone request streams, as on local workers: batch lines are never streamed.
            this.streamed = request.batchId() == null && request.body() != null && request.body().path("stream").asBoolean(false);
        }

        @Override
        public void run() {
            if (result.isDone()) {
                release();
                return;
            }
            startMs = clock.millis();
            startNanos = System.nanoTime();
            attempt();
        }

        void cancel() {
            if (limiter.withdraw(this)) {
                released.set(true); // never held a slot
                return;
            }
            ScheduledFuture<?> p = pending;
            if (p != null) {
                p.cancel(false);
            }
            CompletableFuture<?> f = inFlight;
            if (f != null) {
                f.cancel(true);
            }
            abandon();
            release();
        }

        /** Stops the current attempt's exchange (a cancelled request, a timed-out call), so it holds no connection. */
        void abandon() {
            CompletableFuture<?> x = exchange;
            if (x != null) {
                x.cancel(true);
            }
            InputStream in = body;
            if (in != null) {
                try {
                    in.close(); // unblocks the thread reading the stream
                } catch (IOException e) {
                    // closing is all we wanted
                }
            }
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                limiter.release();
            }
        }

        void finish(ResultEvent r) {
            // The slot first: whoever waits on the result may look at the load at once.
            release();
            result.complete(r);
        }

        void attempt() {
            if (result.isDone()) {
                release();
                return;
            }
            attempts++;
            HttpRequest call;
            try {
                call = httpRequest(request, streamed);
            } catch (RuntimeException e) {
                finish(ResultEvent.failure(request, 400, ErrorInfo.of(ErrorCodes.INVALID_BODY,
                        "the request cannot be sent to the remote model: " + e.getMessage()), clock.millis()));
                return;
            }
            CompletableFuture<Outcome> outcome;
            body = null;
            if (streamed) {
                CompletableFuture<HttpResponse<InputStream>> x = http.sendAsync(call, HttpResponse.BodyHandlers.ofInputStream());
                exchange = x;
                outcome = x.thenApplyAsync(this::readStream, streams);
            } else {
                CompletableFuture<HttpResponse<String>> x = http.sendAsync(call, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                exchange = x;
                outcome = x.thenApply(r -> read(r.statusCode(), r.body(), r.headers()));
            }
            // The request timeout covers the wait for headers; this covers the body too.
            outcome = outcome.orTimeout(model.timeout().toMillis(), TimeUnit.MILLISECONDS);
            inFlight = outcome;
            outcome.whenComplete(this::handle);
        }

        private void handle(Outcome outcome, Throwable error) {
            if (result.isDone()) {
                release();
                return;
            }
            if (error != null) {
                abandon(); // a timed-out call may still be under way
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                String why = cause instanceof java.util.concurrent.TimeoutException
                        || cause instanceof java.net.http.HttpTimeoutException
                        ? "no answer within " + model.timeout().toMillis() + " ms"
                        : "no answer (" + key.redact(String.valueOf(cause)) + ")";
                retry(why, OptionalLong.empty());
            } else if (outcome instanceof Answered a) {
                finish(success(a));
            } else if (outcome instanceof Refused r) {
                String why = "HTTP " + r.status() + ": " + r.message();
                if (RetryPolicy.retriable(r.status())) {
                    retry(why, r.retryAfterMs());
                } else {
                    finish(refused(r));
                }
            }
        }

        private void retry(String why, OptionalLong retryAfter) {
            Optional<Duration> wait = policy.delay(attempts, retryAfter, random);
            if (wait.isEmpty()) {
                log.warn("remote model {}: request {} failed after {} attempts, the last: {}", model.name(), request.requestId(),
                        attempts, why);
                finish(ResultEvent.failure(request, 502, ErrorInfo.of(ErrorCodes.GENERATION_FAILED, "the remote model's server "
                        + model.baseUrl().getHost() + " gave no answer after " + attempts + " attempt(s), the last: " + why),
                        clock.millis()));
                return;
            }
            log.info("remote model {}: request {} attempt {} failed ({}), again in {} ms", model.name(), request.requestId(),
                    attempts, why, wait.get().toMillis());
            try {
                pending = timers.schedule(this::attempt, wait.get().toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // Closing: the partition's next owner answers it.
                result.cancel(false);
                release();
            }
        }

        private Outcome read(int status, String text, java.net.http.HttpHeaders headers) {
            if (status / 100 != 2) {
                return refusal(status, text, headers);
            }
            JsonNode body;
            try {
                body = Json.parse(text);
            } catch (IOException e) {
                throw new CompletionException(new IOException("the answer is not JSON: " + e.getMessage()));
            }
            if (!body.isObject() || !body.path("choices").isArray()) {
                throw new CompletionException(new IOException("the answer has no choices"));
            }
            return new Answered((ObjectNode) body, 0);
        }

        private Outcome readStream(HttpResponse<InputStream> response) {
            body = response.body();
            try (InputStream in = response.body()) {
                if (response.statusCode() / 100 != 2) {
                    byte[] head = in.readNBytes(MAX_ERROR_BODY);
                    return refusal(response.statusCode(), new String(head, StandardCharsets.UTF_8), response.headers());
                }
                if (response.headers().firstValue("content-type").orElse("").contains("json")) {
                    // A server that ignored "stream": the whole answer at once.
                    return read(response.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8), response.headers());
                }
                boolean chat = !"/v1/completions".equals(request.url());
                // Deltas restart at 0 on a new attempt, as a local worker regenerating does: readers skip what they passed.
                StreamAssembler stream = new StreamAssembler(request.requestId(), chat, deltas);
                BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                for (String line; !stream.done() && (line = lines.readLine()) != null; ) {
                    stream.line(line);
                }
                if (!stream.done()) {
                    throw new CompletionException(new IOException("the stream ended before data: [DONE]"));
                }
                return new Answered(stream.body(model.name()), stream.firstTextNanos());
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }

        private Refused refusal(int status, String text, java.net.http.HttpHeaders headers) {
            String message = text == null ? "" : text;
            String param = null;
            try {
                JsonNode error = Json.parse(message).path("error");
                if (error.path("message").isTextual()) {
                    message = error.get("message").asText();
                }
                param = error.path("param").isTextual() ? error.get("param").asText() : null;
            } catch (IOException | RuntimeException e) {
                // not OpenAI's error object: its text, cut short
            }
            if (message.length() > 500) {
                message = message.substring(0, 500) + "...";
            }
            return new Refused(status, key.redact(message), param, RetryPolicy.retryAfterMs(
                    headers.firstValue("retry-after").orElse(null), clock.millis()));
        }

        private ResultEvent success(Answered a) {
            long now = clock.millis();
            ObjectNode body = a.body();
            // Served under its own name: the client asked for it, and an output file reads the same whoever answered.
            body.put("model", model.name());
            if (request.route() != null) {
                // As local workers do: the output line says why this model (a provider's own "route" is its business).
                body.set("route", Json.MAPPER.valueToTree(request.route()));
            } else {
                body.remove("route");
            }
            JsonNode usage = body.path("usage");
            Double cost = usage.isObject() ? model.costUsd(usage.path("prompt_tokens").asLong(0),
                    usage.path("completion_tokens").asLong(0)) : null;
            // As local workers do: an implausible submission time (any client can write the topic) counts from the call.
            long submitted = SubmittedAt.plausible(request.submittedAt(), startMs) ? request.submittedAt() : startMs;
            Long firstToken = a.firstTextNanos() == 0 ? null : (a.firstTextNanos() - startNanos) / 1_000_000;
            Timings timings = new Timings(Math.max(0, startMs - submitted), firstToken, now - startMs, Math.max(0, now - submitted));
            return new ResultEvent(request.requestId(), request.batchId(), request.customId(), request.line(), model.name(), 200,
                    body, null, true, now, timings, request.tenant(), false, request.route(), cost);
        }

        private ResultEvent refused(Refused r) {
            // A refused key is the deployment's fault, not the client's: a gateway error, not their 401.
            boolean ours = r.status() == 401 || r.status() == 403;
            String message = ours ? "the remote model's server " + model.baseUrl().getHost() + " refused the API key"
                    + (model.apiKeyEnv() == null ? " (none is configured: set api_key_env)" : " in " + model.apiKeyEnv())
                    + " (HTTP " + r.status() + ": " + r.message() + "): check the key" : "the remote model's server refused the request"
                    + " (HTTP " + r.status() + "): " + r.message();
            ErrorInfo error = ErrorInfo.of(ErrorCodes.REMOTE_REJECTED, message);
            return ResultEvent.failure(request, ours ? 502 : r.status(), ours || r.param() == null ? error : error.atParam(r.param()),
                    clock.millis());
        }
    }

    /** The HTTP request of one attempt: the body as the client sent it, for the remote model, streamed or not. */
    HttpRequest httpRequest(RequestEvent request, boolean streamed) {
        if (request.body() == null || !request.body().isObject()) {
            throw new IllegalArgumentException("it has no JSON object body");
        }
        ObjectNode body = ((ObjectNode) request.body()).deepCopy();
        body.put("model", model.remoteModel());
        if (streamed) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        } else {
            body.remove("stream");
            body.remove("stream_options");
        }
        String id = request.requestId();
        HttpRequest.Builder b = HttpRequest.newBuilder(model.endpoint(request.url())).timeout(model.timeout())
                .header("Content-Type", "application/json")
                .header("Accept", streamed ? "text/event-stream" : "application/json")
                // The same key on every attempt of a request, on this worker or its successor.
                .header("Idempotency-Key", id.length() <= MAX_IDEMPOTENCY_KEY ? id
                        : Ids.sha256Hex(id.getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofByteArray(Json.writeBytes(body)));
        if (key.present()) {
            b.header("Authorization", "Bearer " + key.reveal());
        }
        return b.build();
    }
}
