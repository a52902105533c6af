package io.millrace.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.millrace.protocol.BatchOutputLine;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.Json;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.results.files.FilesApi;
import io.millrace.results.files.FilesException;
import io.millrace.results.webhooks.WebhooksApi;
import io.millrace.results.webhooks.WebhooksException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.eclipse.jetty.http.UriCompliance;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-style HTTP API over a {@link ResultsView}, on Javalin (Jetty 12).
 *
 * <ul>
 *   <li>{@code POST /v1/batches}: creates a batch of a stored file ({@link BatchCreateRequest}),
 *       publishes it {@code validating} for the ingest role and answers the batch object; served
 *       with the Files API</li>
 *   <li>{@code GET /v1/batches?after=&limit=}: the caller's batches, newest first ({@link BatchPage})</li>
 *   <li>{@code GET /v1/batches/{batch_id}}: the batch object ({@link BatchView}), or 404</li>
 *   <li>{@code POST /v1/batches/{batch_id}/cancel}: publishes the batch's cancellation and answers
 *       the batch object, {@code cancelling} (or {@code cancelled} once every request has a result)</li>
 *   <li>{@code GET /v1/requests/{request_id}}: the result as a batch output line
 *       ({@link BatchOutputLine}) plus {@code "status":"completed"|"failed"}, or 404; request ids
 *       contain ':' and may be percent-encoded, '/' as %2F included</li>
 *   <li>{@code POST /v1/chat/completions}, {@code POST /v1/completions}: through the pipeline ({@link ChatCompletions}),
 *       server-sent events with {@code "stream": true} ({@link ChatStream})</li>
 *   <li>{@code GET /v1/models}, {@code GET /v1/models/{model}}: the served models, OpenAI's model objects</li>
 *   <li>{@code POST|GET /v1/files}, {@code GET|DELETE /v1/files/{file_id}},
 *       {@code GET /v1/files/{file_id}/content}: OpenAI's Files API ({@link FilesApi}); uploads up to
 *       {@link FilesApi#MAX_UPLOAD_REQUEST_BYTES}</li>
 *   <li>{@code POST|GET /v1/webhooks}, {@code GET|DELETE /v1/webhooks/{id}},
 *       {@code POST /v1/webhooks/{id}/rotate_secret}, {@code GET /v1/webhooks/{id}/deliveries},
 *       {@code POST /v1/webhooks/{id}/replay}: the tenant's webhook endpoints ({@link WebhooksApi})</li>
 *   <li>{@code GET /tokenizer_info}, {@code POST /tokenize}, {@code POST /detokenize}: vLLM's
 *       tokenizer endpoints at the root, as lm-evaluation-harness asks them ({@link TokenizerApi})</li>
 *   <li>{@code GET /health/live}: 200 while the service can recover by itself, 503 once only a
 *       restart helps (what a liveness probe asks); {@code GET /health} is the same</li>
 *   <li>{@code GET /health/ready}: 200 once the views answer (state restored), 503 while starting,
 *       restoring or rebalancing (what a readiness probe or a load balancer asks)</li>
 * </ul>
 * Every error is an OpenAI error object with its status: 404 unknown id or URL, 405 (with
 * {@code Allow}), 413 body over {@link #MAX_BODY_BYTES}, 503 with {@code Retry-After: 1} while the
 * view is not ready, 500 for anything unforeseen (logged, never shown).
 */
public final class ResultsHttpServer {
    private static final Logger log = LoggerFactory.getLogger(ResultsHttpServer.class);
    /**
     * The largest request body read: a chat request may be as large as a batch line's, and no
     * larger (InputLimits). The gateway's first line against oversized or malicious input,
     * refused before a byte of it is parsed.
     */
    public static final long MAX_BODY_BYTES = InputLimits.MAX_LINE_BYTES;
    /** Set by a handler that answered itself, so the error mapper leaves its answer alone. */
    private static final String ANSWERED = "millrace.answered";
    private static final String CALLER = "millrace.caller";
    private static final Duration COMPLETION_WINDOW = Duration.ofHours(24);
    private static final List<String> TOKENIZER_PATHS = List.of("/tokenizer_info", "/tokenize", "/detokenize");

    private final ResultsView view;
    private final BooleanSupplier live;
    private final BooleanSupplier ready;
    private final Consumer<BatchEvent> cancels;
    private final ModelCatalog models;
    /** Also knows results the view has not materialized yet (null in view-only tests). */
    private final ChatCompletions chat;
    private final long createdAt = System.currentTimeMillis() / 1000;
    private final Javalin app;
    private final int requestedPort;
    private volatile Duration batchWindow = COMPLETION_WINDOW;

    /**
     * Configures the server; binds and serves on {@link #start()} (port 0 picks a free one).
     *
     * @param live    false once the source of the view has failed for good, so /health/live tells
     *                an orchestrator to restart the service rather than wait
     * @param ready   true while the view can answer
     * @param cancels publishes a batch event (a new batch, or one with {@code cancelled_at} set),
     *                returning once it is written (the view shows it a moment later)
     * @param models  the served models, for {@code /v1/models}
     */
    public ResultsHttpServer(ResultsView view, BooleanSupplier live, BooleanSupplier ready, Consumer<BatchEvent> cancels,
            ModelCatalog models, int port) {
        this(view, live, ready, cancels, models, null, null, null, Authenticator.NONE, new RateLimiter(System::nanoTime), port);
    }

    /** Who a request comes from, from its {@code Authorization} header; or the 401 to answer. */
    interface Authenticator {
        KeyRing.Result authenticate(String authorization);

        /** {@code --auth none}: every request is the operator's own, of no tenant and no limits. */
        Authenticator NONE = header -> new KeyRing.Result(new KeyRing.Caller(null, null, 0, 0), null);
    }

    /**
     * @param chat    answers {@code POST /v1/chat/completions}; null: that route is not served
     * @param stream  answers it when the body asks {@code stream: true}
     * @param files   answers {@code /v1/files}; null: those routes are not served
     * @param auth    checks the key of every {@code /v1} request
     * @param limiter the per-key request and token limits of generation requests
     */
    ResultsHttpServer(ResultsView view, BooleanSupplier live, BooleanSupplier ready, Consumer<BatchEvent> cancels,
            ModelCatalog models, ChatCompletions chat, ChatStream stream, FilesApi files, Authenticator auth, RateLimiter limiter,
            int port) {
        this(view, live, ready, cancels, models, chat, stream, files, null, auth, limiter, port);
    }

    /**
     * @param tokenizers answers {@code GET /tokenizer_info}, {@code POST /tokenize} and
     *                   {@code POST /detokenize} at the root, keys checked as on /v1; null: not served
     */
    ResultsHttpServer(ResultsView view, BooleanSupplier live, BooleanSupplier ready, Consumer<BatchEvent> cancels,
            ModelCatalog models, ChatCompletions chat, ChatStream stream, FilesApi files, TokenizerApi tokenizers,
            Authenticator auth, RateLimiter limiter, int port) {
        this(view, live, ready, cancels, models, chat, stream, files, tokenizers, null, auth, limiter, port);
    }

    /** @param webhooks answers {@code /v1/webhooks}; null: those routes are not served */
    ResultsHttpServer(ResultsView view, BooleanSupplier live, BooleanSupplier ready, Consumer<BatchEvent> cancels,
            ModelCatalog models, ChatCompletions chat, ChatStream stream, FilesApi files, TokenizerApi tokenizers,
            WebhooksApi webhooks, Authenticator auth, RateLimiter limiter, int port) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("HTTP port " + port + " is out of range: use 0 (any free port) to 65535");
        }
        this.view = view;
        this.live = live;
        this.ready = ready;
        this.cancels = cancels;
        this.models = models;
        this.chat = chat;
        this.requestedPort = port;
        this.app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.port = port;
            config.http.maxRequestSize = MAX_BODY_BYTES;
            config.http.defaultContentType = "application/json";
            config.http.prefer405over404 = true;
            // Request ids may hold '/', sent as %2F; Jetty 12 refuses such "ambiguous" paths by default.
            config.jetty.modifyHttpConfiguration(http -> http.setUriCompliance(UriCompliance.LEGACY));
            config.jetty.modifyServletContextHandler(handler -> handler.getServletHandler().setDecodeAmbiguousURIs(true));
            // Refused from the declared length, before a byte is read; a chunked body meets
            // maxRequestSize when a handler reads it.
            config.routes.before(ctx -> {
                long limit = files != null && FilesApi.isUpload(ctx) ? FilesApi.MAX_UPLOAD_REQUEST_BYTES : MAX_BODY_BYTES;
                if (ctx.contentLength() > limit) {
                    throw new BodyTooLargeException(limit);
                }
            });
            io.javalin.http.Handler authenticate = ctx -> {
                KeyRing.Result who = auth.authenticate(ctx.header("Authorization"));
                if (who.refusal() != null) {
                    throw new Refused(who.refusal(), java.util.Map.of("WWW-Authenticate", "Bearer"));
                }
                ctx.attribute(CALLER, who.caller());
            };
            config.routes.before("/v1/*", authenticate);
            // vLLM serves these at the root, and lm-evaluation-harness asks them there; a key is
            // needed as on /v1 (they load no result, but they are the same server's API).
            for (String path : TOKENIZER_PATHS) {
                config.routes.before(path, authenticate);
            }
            config.routes.get("/health", ctx -> health(ctx, live.getAsBoolean()));
            config.routes.get("/health/live", ctx -> health(ctx, live.getAsBoolean()));
            config.routes.get("/health/ready", ctx -> health(ctx, live.getAsBoolean() && ready.getAsBoolean()));
            config.routes.get("/v1/models", ctx -> reply(ctx, 200, modelList()));
            config.routes.get("/v1/models/{model}", this::model);
            if (chat != null) {
                config.routes.post("/v1/chat/completions", ctx -> chat(ctx, chat, stream, limiter, ChatRequestValidator.CHAT_COMPLETIONS));
                config.routes.post("/v1/completions", ctx -> chat(ctx, chat, stream, limiter, ChatRequestValidator.COMPLETIONS));
            }
            if (tokenizers != null) {
                config.routes.get("/tokenizer_info", ctx -> answer(ctx, tokenizers.info(ctx.queryParam("model"))));
                config.routes.post("/tokenize", ctx -> answer(ctx, tokenizers.tokenize(ctx.bodyAsBytes())));
                config.routes.post("/detokenize", ctx -> answer(ctx, tokenizers.detokenize(ctx.bodyAsBytes())));
            }
            config.routes.get("/v1/batches", this::listBatches);
            if (files != null) {
                config.routes.post("/v1/batches", ctx -> createBatch(ctx, files));
            }
            config.routes.get("/v1/batches/{batch_id}", ctx -> batch(ctx, segment(ctx, 2)));
            config.routes.post("/v1/batches/{batch_id}/cancel", ctx -> cancel(ctx, segment(ctx, 2)));
            config.routes.get("/v1/batches/{batch_id}/results", ctx -> batchResults(ctx, segment(ctx, 2)));
            config.routes.get("/v1/requests/{request_id}", ctx -> request(ctx, segment(ctx, 2)));
            if (files != null) {
                FilesApi.configure(config.jetty.multipartConfig);
                config.routes.post("/v1/files", ctx -> reply(ctx, 200, files.upload(ctx, caller(ctx).tenant())));
                config.routes.get("/v1/files", ctx -> reply(ctx, 200, files.list(ctx, caller(ctx).tenant())));
                config.routes.get("/v1/files/{file_id}", ctx -> reply(ctx, 200, files.retrieve(segment(ctx, 2), caller(ctx).tenant())));
                config.routes.delete("/v1/files/{file_id}", ctx -> reply(ctx, 200, files.delete(segment(ctx, 2), caller(ctx).tenant())));
                config.routes.get("/v1/files/{file_id}/content", ctx -> files.content(ctx, segment(ctx, 2), caller(ctx).tenant()));
            }
            if (webhooks != null) {
                config.routes.post("/v1/webhooks", ctx -> reply(ctx, 200, webhooks.create(caller(ctx).tenant(), ctx.bodyAsBytes())));
                config.routes.get("/v1/webhooks", ctx -> reply(ctx, 200, webhooks.list(caller(ctx).tenant())));
                config.routes.get("/v1/webhooks/{id}", ctx -> reply(ctx, 200, webhooks.retrieve(caller(ctx).tenant(), segment(ctx, 2))));
                config.routes.delete("/v1/webhooks/{id}", ctx -> reply(ctx, 200, webhooks.delete(caller(ctx).tenant(), segment(ctx, 2))));
                config.routes.post("/v1/webhooks/{id}/rotate_secret",
                        ctx -> reply(ctx, 200, webhooks.rotateSecret(caller(ctx).tenant(), segment(ctx, 2))));
                config.routes.get("/v1/webhooks/{id}/deliveries", ctx -> reply(ctx, 200, webhooks.deliveries(caller(ctx).tenant(),
                        segment(ctx, 2), ctx.queryParam("after"), ctx.queryParam("limit"))));
                config.routes.post("/v1/webhooks/{id}/replay",
                        ctx -> reply(ctx, 200, webhooks.replay(caller(ctx).tenant(), segment(ctx, 2), ctx.bodyAsBytes())));
            }
            config.routes.exception(WebhooksException.class, (e, ctx) ->
                    error(ctx, new ApiError(e.status(), ApiError.INVALID_REQUEST, e.code(), e.getMessage(), e.param())));
            config.routes.exception(FilesException.class, (e, ctx) ->
                    error(ctx, new ApiError(e.status(), ApiError.INVALID_REQUEST, e.code(), e.getMessage(), e.param())));
            config.routes.exception(BatchCreateRequest.Invalid.class, (e, ctx) -> error(ctx, e.error));
            config.routes.exception(NotReadyException.class, (e, ctx) -> {
                log.debug("{} {}: not ready", ctx.method(), ctx.path(), e);
                ctx.header("Retry-After", "1");
                error(ctx, ApiError.notReady());
            });
            config.routes.exception(Refused.class, (e, ctx) -> {
                e.headers.forEach(ctx::header);
                error(ctx, e.error);
            });
            config.routes.exception(BodyTooLargeException.class, (e, ctx) -> {
                // The client is still sending what will never be read: close rather than drain it.
                ctx.header("Connection", "close");
                error(ctx, ApiError.tooLarge(((BodyTooLargeException) e).limit));
            });
            config.routes.exception(Exception.class, (e, ctx) -> {
                log.error("{} {} failed", ctx.method(), ctx.path(), e);
                error(ctx, ApiError.internal());
            });
            config.routes.error(404, ctx -> unlessAnswered(ctx, ApiError.unknownUrl(ctx.method().name(), rawPath(ctx))));
            config.routes.error(405, ctx -> {
                ctx.header("Allow", allowed(ctx));
                unlessAnswered(ctx, ApiError.methodNotAllowed(ctx.method().name(), rawPath(ctx)));
            });
            config.routes.error(413, ctx -> unlessAnswered(ctx, ApiError.tooLarge(MAX_BODY_BYTES)));
        });
    }

    /** Binds the port and serves. */
    public void start() {
        try {
            app.start();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot listen on HTTP port " + requestedPort
                    + ": free it or choose another (0 picks any free port): " + e.getMessage(), e);
        }
        log.info("results API listening on port {}", port());
    }

    /** The bound port, the actual one when 0 was asked for. */
    public int port() {
        return app.port();
    }

    /** Stops accepting, lets exchanges in flight finish within about {@code grace}, then stops. */
    public void stop(Duration grace) {
        app.jettyServer().server().setStopTimeout(grace.toMillis());
        app.stop();
    }

    private void health(Context ctx, boolean ok) {
        ObjectNode body = Json.object();
        body.put("status", ok ? "ok" : "down");
        reply(ctx, ok ? 200 : 503, body);
    }

    /** The served models, then the aliases, then {@code auto} when the deployment accepts it: every name a request may send. */
    private JsonNode modelList() {
        ObjectNode list = Json.object();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        models.entries().forEach(e -> data.add(modelObject(e.name(), e)));
        new java.util.TreeMap<>(models.aliases()).keySet().forEach(alias -> data.add(modelObject(alias, models.find(alias).orElseThrow())));
        models.auto().ifPresent(auto -> data.add(modelObject(ModelCatalog.AUTO, models.find(ModelCatalog.AUTO).orElseThrow())));
        return list;
    }

    private void model(Context ctx) {
        String name = segment(ctx, 2);
        Optional<ModelCatalog.Entry> entry = models.find(name);
        if (entry.isEmpty()) {
            error(ctx, ApiError.modelNotFound(name, models.names()));
        } else {
            reply(ctx, 200, modelObject(name, entry.get()));
        }
    }

    /**
     * OpenAI's model object ({@code id, object, created, owned_by}) of a name a request may send;
     * as vLLM adds them, {@code max_model_len} when the context length is known and {@code root},
     * the served model the name runs on (an alias's target; none for {@code auto}, which the router
     * chooses per request).
     */
    private ObjectNode modelObject(String id, ModelCatalog.Entry e) {
        ObjectNode m = Json.object();
        m.put("id", id);
        m.put("object", "model");
        m.put("created", createdAt);
        m.put("owned_by", "millrace");
        if (!ModelCatalog.AUTO.equals(e.name())) {
            m.put("root", e.name());
        }
        if (e.contextLength() > 0) {
            m.put("max_model_len", e.contextLength());
        }
        return m;
    }

    private static void chat(Context ctx, ChatCompletions chat, ChatStream stream, RateLimiter limiter, String url) throws Exception {
        // Over MAX_BODY_BYTES: 413 from the error mapper. Parsed once for the limiter, the choice of
        // a stream and the request.
        ChatCompletions.Body body = ChatCompletions.Body.read(ctx.bodyAsBytes());
        String idempotencyKey = ctx.header("Idempotency-Key");
        KeyRing.Caller caller = caller(ctx);
        if (caller.keyId() != null) {
            RateLimiter.Decision d = limiter.admit(caller.keyId(), caller.rpm(), caller.tpm(), chat.tokenCost(body));
            d.headers().forEach(ctx::header);
            if (!d.admitted()) {
                ctx.header("Retry-After", Long.toString(Math.max(1, (d.retryAfter().toMillis() + 999) / 1000)));
                error(ctx, ApiError.rateLimited(d.limitedBy(), d.limit(), d.retryAfter()));
                return;
            }
        }
        if (stream != null && ChatCompletions.streamed(body)) {
            ChatCompletions.Reply r = stream.handle(body, idempotencyKey, caller.tenant(), url, ctx.res());
            if (r != null) { // refused before anything was streamed
                r.headers().forEach(ctx::header);
                reply(ctx, r.status(), r.body());
            } else {
                ctx.attribute(ANSWERED, Boolean.TRUE);
            }
            return;
        }
        // Answered when the result commits, without holding a server thread while it is generated.
        ctx.future(() -> chat.handle(body, idempotencyKey, caller.tenant(), url).handle((r, e) -> {
            if (e != null) {
                log.error("POST {} failed", url, e);
                error(ctx, ApiError.internal());
            } else {
                r.headers().forEach(ctx::header);
                reply(ctx, r.status(), r.body());
            }
            return null;
        }));
    }

    /** The caller the auth filter found; every /v1 route has one. */
    private static KeyRing.Caller caller(Context ctx) {
        return ctx.attribute(CALLER);
    }

    /**
     * Whether the caller may see something of {@code owner}: only its own tenant's. Anything else
     * answers 404, never 403, so ids of other tenants cannot even be probed.
     */
    private static boolean visible(Context ctx, String owner) {
        return Objects.equals(caller(ctx).tenant(), owner);
    }

    private void batch(Context ctx, String batchId) {
        Optional<BatchEvent> batch = view.batch(batchId).filter(b -> visible(ctx, b.tenant()));
        if (batch.isEmpty()) {
            error(ctx, ApiError.notFound("batch", batchId));
            return;
        }
        reply(ctx, 200, BatchView.of(batch.get(), view.counts(batchId)));
    }

    private void createBatch(Context ctx, FilesApi files) {
        BatchCreateRequest req = BatchCreateRequest.parse(ctx.bodyAsBytes());
        String tenant = caller(ctx).tenant();
        files.owned(req.inputFileId(), tenant); // 404 for a file that is missing or another tenant's
        long now = System.currentTimeMillis();
        BatchEvent batch = BatchEvent.ofFile(newBatchId(), req.endpoint(), req.inputFileId(), req.completionWindow(),
                now, now + batchWindow.toMillis(), req.metadata(), tenant);
        cancels.accept(batch);
        reply(ctx, 200, BatchView.of(batch, BatchCounts.NONE));
    }

    /** How long batches created from now on have before they expire; "24h" is still the only window a client may ask. */
    void batchWindow(Duration window) {
        this.batchWindow = window;
    }

    /** {@code GET /v1/batches/{id}/results}: the output lines so far, in request id order, paged. */
    private void batchResults(Context ctx, String batchId) {
        Optional<BatchEvent> batch = view.batch(batchId).filter(b -> visible(ctx, b.tenant()));
        if (batch.isEmpty()) {
            error(ctx, ApiError.notFound("batch", batchId));
            return;
        }
        int limit;
        try {
            limit = BatchPage.limit(ctx.queryParam("limit"));
        } catch (IllegalArgumentException e) {
            error(ctx, ApiError.invalid("invalid_value", "limit", "Invalid 'limit': use an integer from 1 to " + BatchPage.MAX_LIMIT + "."));
            return;
        }
        String after = ctx.queryParam("after");
        if (after != null && (after.isEmpty() || !(after.startsWith(batchId + ":") || after.startsWith(batchId + "#")))) {
            error(ctx, ApiError.invalid("invalid_value", "after", "Invalid 'after': use the last_id of the previous page, a request id of this batch."));
            return;
        }
        // The store is one range per partition, read one after the other, not merged: keep the
        // limit + 1 smallest request ids after the cursor (a bounded heap; the scan still reads the
        // rest of the batch, at most 50,000 small reads from local RocksDB).
        java.util.PriorityQueue<ResultEvent> smallest = new java.util.PriorityQueue<>(
                java.util.Comparator.comparing(ResultEvent::requestId).reversed());
        try (java.util.stream.Stream<ResultEvent> results = view.batchResults(batchId, after)) {
            results.forEach(r -> {
                smallest.add(r);
                if (smallest.size() > limit + 1) {
                    smallest.poll();
                }
            });
        }
        List<ResultEvent> page = new java.util.ArrayList<>(smallest);
        page.sort(java.util.Comparator.comparing(ResultEvent::requestId));
        ObjectNode list = Json.object();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        List<ResultEvent> shown = page.subList(0, Math.min(limit, page.size()));
        shown.forEach(r -> data.add(BatchOutputLine.of(r)));
        list.put("first_id", shown.isEmpty() ? null : shown.get(0).requestId());
        list.put("last_id", shown.isEmpty() ? null : shown.get(shown.size() - 1).requestId());
        list.put("has_more", page.size() > limit);
        reply(ctx, 200, list);
    }

    /** OpenAI's shape, {@code batch_} and 32 hex digits; random, so two creations of one file are two batches. */
    static String newBatchId() {
        return "batch_" + java.util.UUID.randomUUID().toString().replace("-", "");
    }

    private void listBatches(Context ctx) {
        int limit;
        try {
            limit = BatchPage.limit(ctx.queryParam("limit"));
        } catch (IllegalArgumentException e) {
            error(ctx, ApiError.invalid("invalid_value", "limit", "Invalid 'limit': use an integer from 1 to "
                    + BatchPage.MAX_LIMIT + "."));
            return;
        }
        List<BatchEvent> own = view.batches().stream().filter(b -> visible(ctx, b.tenant())).toList();
        BatchPage page = BatchPage.of(own, ctx.queryParam("after"), limit);
        ObjectNode list = Json.object();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        page.data().forEach(b -> data.add(BatchView.of(b, view.counts(b.batchId()))));
        list.put("first_id", page.data().isEmpty() ? null : page.data().get(0).batchId());
        list.put("last_id", page.data().isEmpty() ? null : page.data().get(page.data().size() - 1).batchId());
        list.put("has_more", page.hasMore());
        reply(ctx, 200, list);
    }

    private void cancel(Context ctx, String batchId) {
        Optional<BatchEvent> batch = view.batch(batchId).filter(b -> visible(ctx, b.tenant()));
        if (batch.isEmpty()) {
            error(ctx, ApiError.notFound("batch", batchId));
            return;
        }
        BatchEvent cancelled = batch.get().cancel(System.currentTimeMillis());
        if (cancelled != batch.get()) {
            cancels.accept(cancelled);
        }
        reply(ctx, 200, BatchView.of(cancelled, view.counts(batchId)));
    }

    private void request(Context ctx, String requestId) {
        // The view shows a result only after its own commit; the follower has seen it as soon as it
        // was committed, so a client that got an answer and asks for it at once finds it.
        Optional<ResultEvent> result = view.result(requestId).or(() -> chat == null ? Optional.empty() : chat.recent(requestId))
                .filter(r -> visible(ctx, r.tenant()));
        if (result.isEmpty()) {
            error(ctx, ApiError.notFound("request", requestId));
            return;
        }
        ObjectNode line = BatchOutputLine.of(result.get());
        line.put("status", result.get().succeeded() ? "completed" : "failed");
        reply(ctx, 200, line);
    }

    /**
     * The {@code index}-th segment of the raw path, percent-decoded here rather than by the
     * router, so that an id holding an encoded '/' stays one segment.
     */
    private static String segment(Context ctx, int index) {
        return PathSegments.decode(rawPath(ctx)).get(index);
    }

    private static String rawPath(Context ctx) {
        return ctx.req().getRequestURI();
    }

    private static String allowed(Context ctx) {
        String path = rawPath(ctx);
        if (path.equals("/tokenize") || path.equals("/detokenize")) {
            return "POST";
        }
        if (path.equals("/v1/files") || path.equals("/v1/batches")) {
            return "GET, POST";
        }
        if (path.startsWith("/v1/files/") && !path.endsWith("/content")) {
            return "GET, DELETE";
        }
        // The other routes that take POST are the cancel actions; everything else here is read-only.
        return path.endsWith("/cancel") ? "POST" : "GET";
    }

    private static void answer(Context ctx, ChatCompletions.Reply r) {
        r.headers().forEach(ctx::header);
        reply(ctx, r.status(), r.body());
    }

    private static void unlessAnswered(Context ctx, ApiError error) {
        if (ctx.attribute(ANSWERED) == null) {
            error(ctx, error);
        }
    }

    private static void error(Context ctx, ApiError error) {
        reply(ctx, error.status(), error.body());
    }

    private static void reply(Context ctx, int status, JsonNode body) {
        ctx.attribute(ANSWERED, Boolean.TRUE);
        ctx.status(status).contentType("application/json").result(Json.writeBytes(body));
    }

    private static final class BodyTooLargeException extends RuntimeException {
        final long limit;

        BodyTooLargeException(long limit) {
            super(null, null, false, false); // control flow, not a fault: no stack trace
            this.limit = limit;
        }
    }

    /** An answer decided before routing (a refused key): the exception handler writes it. */
    private static final class Refused extends RuntimeException {
        final ApiError error;
        final java.util.Map<String, String> headers;

        Refused(ApiError error, java.util.Map<String, String> headers) {
            super(error.code(), null, false, false);
            this.error = error;
            this.headers = headers;
        }
    }
}
