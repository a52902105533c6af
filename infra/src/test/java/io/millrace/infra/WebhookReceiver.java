package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * tools/webhook-receiver/receiver.mjs, run by the ITs: a receiver on 127.0.0.1 that verifies every
 * delivery with the standardwebhooks npm package and is idempotent on webhook-id (see the script).
 */
final class WebhookReceiver implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final Process process;
    private final String base;

    private WebhookReceiver(Process process, String base) {
        this.process = process;
        this.base = base;
    }

    static WebhookReceiver start() throws Exception {
        Process p = new ProcessBuilder("node", NodeTools.repoRoot().resolve("tools/webhook-receiver/receiver.mjs").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String first = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        if (first == null || !first.contains("listening")) {
            p.destroyForcibly();
            return fail("the webhook receiver did not start (is Node 20+ on PATH? mvn verify installs its package): " + first);
        }
        return new WebhookReceiver(p, "http://127.0.0.1:" + Json.MAPPER.readTree(first).get("listening").asInt());
    }

    /** {@code http://127.0.0.1:<port>}: endpoints are registered at paths under it. */
    String base() {
        return base;
    }

    /** Posts to the receiver's /_config (secrets per path, failFirst, redirectTo). */
    void configure(String json) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/_config"))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    /** accepted (id → event, first acceptance), attempts (id → count), duplicates, problems, log. */
    JsonNode state() throws Exception {
        return Json.MAPPER.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/_state")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    JsonNode await(Predicate<JsonNode> done, Duration limit) throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        JsonNode s = state();
        while (!done.test(s)) {
            if (System.nanoTime() > end) {
                return fail("the receiver did not get there within " + limit + ": " + s);
            }
            Thread.sleep(200);
            s = state();
        }
        return s;
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
