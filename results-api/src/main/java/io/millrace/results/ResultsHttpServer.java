package io.millrace.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.millrace.protocol.BatchOutputLine;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-style read API over a {@link ResultsView}, on the JDK's HTTP server.
 *
 * <ul>
 *   <li>{@code GET /v1/batches/{batch_id}}: the batch object ({@link BatchView}), or 404</li>
 *   <li>{@code GET /v1/requests/{request_id}}: the result as a batch output line
 *       ({@link BatchOutputLine}) plus {@code "status":"completed"|"failed"}, or 404; request ids
 *       contain ':' and may be percent-encoded</li>
 *   <li>{@code POST /v1/batches/{batch_id}/cancel}: publishes the batch's cancellation and answers
 *       the batch object, {@code cancelling} (or {@code cancelled} once every request has a result)</li>
 *   <li>{@code GET /health}: 200 {@code {"status":"ok"}} while live, 503 once it will not recover</li>
 * </ul>
 * Errors are OpenAI error objects; 503 with {@code Retry-After: 1} while the view is not ready.
 */
public final class ResultsHttpServer {
    private static final Logger log = LoggerFactory.getLogger(ResultsHttpServer.class);
    /** Reads are local store lookups of microseconds: a few threads serve many clients. */
    private static final int THREADS = 4;
    private static final Map<String, String> RETRY_SOON = Map.of("Retry-After", "1");

    private final ResultsView view;
    private final BooleanSupplier live;
    private final Consumer<BatchEvent> cancels;
    private final HttpServer server;
    private final ExecutorService executor;

    /**
     * Binds the port now (0 picks a free one); serves after {@link #start()}.
     *
     * @param live    false once the source of the view has failed for good, so /health tells an
     *                orchestrator to restart the service rather than wait
     * @param cancels publishes a batch event with {@code cancelled_at} set, returning once it is
     *                written (the view shows it a moment later)
     */
    public ResultsHttpServer(ResultsView view, BooleanSupplier live, Consumer<BatchEvent> cancels, int port)
            throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("HTTP port " + port + " is out of range: use 0 (any free port) to 65535");
        }
        this.view = view;
        this.live = live;
        this.cancels = cancels;
        this.server = HttpServer.create(new InetSocketAddress(port), 0);
        this.executor = Executors.newFixedThreadPool(THREADS, daemonThreads());
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    public void start() {
        server.start();
        log.info("results API listening on port {}", port());
    }

    /** The bound port, the actual one when 0 was asked for. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops accepting, lets exchanges in flight finish within about {@code grace}, then stops. */
    public void stop(Duration grace) {
        // HttpServer.stop takes whole seconds; rounding up never cuts a grace period short.
        int seconds = (int) Math.min(Integer.MAX_VALUE, (grace.toMillis() + 999) / 1000);
        server.stop(seconds);
        executor.shutdown();
        try {
            if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt(); // the caller asked to stop; let it see why we returned early
        }
    }

    private void handle(HttpExchange exchange) {
        try {
            String method = exchange.getRequestMethod();
            String rawPath = exchange.getRequestURI().getRawPath();
            Reply reply;
            try {
                reply = route(method, rawPath);
            } catch (RuntimeException e) {
                reply = classify(e, method, rawPath);
            }
            send(exchange, reply);
        } catch (IOException e) {
            log.debug("could not answer {}: client went away", exchange.getRequestURI(), e);
        } finally {
            exchange.close();
        }
    }

    private Reply route(String method, String rawPath) {
        // The server already answered 400 to a path with a malformed escape: this one decodes.
        List<String> path = PathSegments.decode(rawPath);
        boolean cancel = path.size() == 4 && path.get(0).equals("v1") && path.get(1).equals("batches")
                && !path.get(2).isEmpty() && path.get(3).equals("cancel");
        boolean known = cancel || path.equals(List.of("health"))
                || (path.size() == 3 && path.get(0).equals("v1") && !path.get(2).isEmpty()
                        && (path.get(1).equals("batches") || path.get(1).equals("requests")));
        if (!known) {
            return Reply.error(ApiError.unknownUrl(method, rawPath));
        }
        if (cancel) {
            return method.equals("POST") ? cancel(path.get(2))
                    : new Reply(405, ApiError.methodNotAllowed(method, rawPath).body(), Map.of("Allow", "POST"));
        }
        if (!method.equals("GET")) {
            return new Reply(405, ApiError.methodNotAllowed(method, rawPath).body(), Map.of("Allow", "GET"));
        }
        if (path.size() == 1) {
            return health();
        }
        String id = path.get(2);
        return path.get(1).equals("batches") ? batch(id) : request(id);
    }

    private Reply health() {
        ObjectNode body = Json.object();
        boolean ok = live.getAsBoolean();
        body.put("status", ok ? "ok" : "down");
        return new Reply(ok ? 200 : 503, body, Map.of());
    }

    private Reply batch(String batchId) {
        Optional<BatchEvent> batch = view.batch(batchId);
        if (batch.isEmpty()) {
            return Reply.error(ApiError.notFound("batch", batchId));
        }
        return Reply.ok(BatchView.of(batch.get(), view.counts(batchId)));
    }

    private Reply cancel(String batchId) {
        Optional<BatchEvent> batch = view.batch(batchId);
        if (batch.isEmpty()) {
            return Reply.error(ApiError.notFound("batch", batchId));
        }
        BatchEvent cancelled = batch.get().cancel(System.currentTimeMillis());
        if (cancelled != batch.get()) {
            cancels.accept(cancelled);
        }
        return Reply.ok(BatchView.of(cancelled, view.counts(batchId)));
    }

    private Reply request(String requestId) {
        Optional<ResultEvent> result = view.result(requestId);
        if (result.isEmpty()) {
            return Reply.error(ApiError.notFound("request", requestId));
        }
        ObjectNode line = BatchOutputLine.of(result.get());
        line.put("status", result.get().succeeded() ? "completed" : "failed");
        return Reply.ok(line);
    }

    /** The one place that maps failures to answers: transient ones to 503, the rest to 500. */
    private static Reply classify(RuntimeException e, String method, String rawPath) {
        if (e instanceof NotReadyException) {
            log.debug("{} {}: not ready", method, rawPath, e);
            return new Reply(503, ApiError.notReady().body(), RETRY_SOON);
        }
        log.error("{} {} failed", method, rawPath, e);
        return Reply.error(ApiError.internal());
    }

    private static void send(HttpExchange exchange, Reply reply) throws IOException {
        byte[] bytes = Json.writeBytes(reply.body());
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        reply.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(reply.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            // Daemon: a forgotten stop() must not keep the JVM alive.
            Thread t = new Thread(r, "results-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private record Reply(int status, JsonNode body, Map<String, String> headers) {
        static Reply ok(JsonNode body) {
            return new Reply(200, body, Map.of());
        }

        static Reply error(ApiError error) {
            return new Reply(error.status(), error.body(), Map.of());
        }
    }
}
