package io.millrace.remote;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on loopback that plays an OpenAI-compatible provider badly on a schedule: each
 * call takes the next {@link Step} (429 with {@code Retry-After}, 503, a slow answer, a dropped
 * connection, a refusal), and once the schedule is spent every call is answered well. It exists to
 * inject the faults a real provider shows only when it is in trouble; tests say which they inject.
 */
public final class ScriptedServer implements AutoCloseable {
    /** One scripted answer. */
    public record Step(int status, Map<String, String> headers, String body, long delayMs, boolean drop) {
        public static Step status(int status, Map<String, String> headers) {
            return new Step(status, headers, "{\"error\":{\"message\":\"scripted " + status + "\",\"type\":\"server_error\"}}", 0,
                    false);
        }

        public static Step slow(long delayMs) {
            return new Step(200, Map.of(), null, delayMs, false);
        }

        public static Step dropped() {
            return new Step(0, Map.of(), null, 0, true);
        }
    }

    /** One call as it arrived. */
    public record Received(String path, Map<String, List<String>> headers, String body) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(e -> e.getValue().get(0))
                    .findFirst().orElse(null);
        }
    }

    private final HttpServer server;
    private final ConcurrentLinkedQueue<Step> script = new ConcurrentLinkedQueue<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger answered = new AtomicInteger();
    /** While not 0, the status every call is answered with, whatever the script says. */
    private volatile int outage;
    private volatile long answerDelayMs;

    public ScriptedServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "scripted-provider");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/v1/", this::handle);
        server.start();
    }

    /** The base URL to configure: {@code http://127.0.0.1:PORT/v1}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1");
    }

    public ScriptedServer then(Step... steps) {
        script.addAll(List.of(steps));
        return this;
    }

    /** While down, every call is answered 503 (an outage), whatever the script says. */
    public void down(boolean isDown) {
        outage = isDown ? 503 : 0;
    }

    /** While refusing, every call is answered 401 (a revoked or wrong key), whatever the script says. */
    public void refuseKeys(boolean refusing) {
        outage = refusing ? 401 : 0;
    }

    /** Every good answer comes this much later (a slow provider). */
    public void answerAfter(long ms) {
        answerDelayMs = ms;
    }

    public List<Received> received() {
        return received;
    }

    /** Calls answered 200. */
    public int answered() {
        return answered.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        received.add(new Received(ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body));
        int status = outage;
        Step step = status != 0 ? Step.status(status, Map.of()) : script.poll();
        if (step != null && step.drop()) {
            ex.close(); // no status line: the client sees the connection end
            return;
        }
        if (step != null && step.delayMs() > 0) {
            try {
                Thread.sleep(step.delayMs());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (step != null && step.status() != 200) {
            step.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
            send(ex, step.status(), "application/json", step.body());
            return;
        }
        if (answerDelayMs > 0) {
            try {
                Thread.sleep(answerDelayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        answered.incrementAndGet();
        boolean stream = body.contains("\"stream\":true");
        boolean chat = ex.getRequestURI().getPath().endsWith("/chat/completions");
        String id = "cmpl-" + answered.get();
        if (stream) {
            StringBuilder sse = new StringBuilder();
            for (String piece : new String[] {"Hel", "lo"}) {
                sse.append("data: ").append(chat
                        ? "{\"id\":\"" + id + "\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + piece + "\"},\"finish_reason\":null}]}"
                        : "{\"id\":\"" + id + "\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"text\":\"" + piece + "\",\"finish_reason\":null}]}")
                        .append("\n\n");
            }
            sse.append("data: {\"id\":\"").append(id).append("\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,")
                    .append(chat ? "\"delta\":{}" : "\"text\":\"\"").append(",\"finish_reason\":\"stop\"}]}\n\n");
            sse.append("data: {\"id\":\"").append(id).append("\",\"created\":1,\"model\":\"m\",\"choices\":[],")
                    .append("\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n");
            sse.append("data: [DONE]\n\n");
            send(ex, 200, "text/event-stream", sse.toString());
            return;
        }
        String answer = chat
                ? "{\"id\":\"" + id + "\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}"
                : "{\"id\":\"" + id + "\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"text\":\"Hello\",\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
        send(ex, 200, "application/json", answer);
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
