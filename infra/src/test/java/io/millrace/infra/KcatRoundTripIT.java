package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An outside Kafka client is a client: kcat (librdkafka, not Java) produces a request event
 * exactly as the README's "Topic contract" shows, against a running {@code serve}, and reads its
 * result back from millrace.results; the results API answers for it too.
 */
class KcatRoundTripIT {
    @TempDir
    Path dir;

    @Test
    void kcatSubmitsARequestAndReadsItsResult() throws Exception {
        String kcat = kcatBinary();
        try (TestKafka kafka = TestKafka.start(dir.resolve("broker"));
                Deployment serve = Deployment.start(new Settings(kafka.bootstrapServers(), dir, 0, 0, List.of(), "kcat-it", 0, Map.of()),
                        EnumSet.allOf(Role.class))) {
            serve.awaitRunning(Duration.ofSeconds(60));
            String bootstrap = serve.bootstrapServers();
            String event = "{\"request_id\":\"kcat-1\",\"custom_id\":\"kcat-1\",\"url\":\"/v1/chat/completions\","
                    + "\"body\":{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello from kcat\"}],"
                    + "\"max_tokens\":8}}";
            // Same command line as the README: key and value separated by '|'.
            exec(List.of(kcat, "-P", "-b", bootstrap, "-t", "millrace.requests", "-K", "|"), "kcat-1|" + event + "\n");

            JsonNode result = null;
            long deadline = System.currentTimeMillis() + 90_000;
            while (result == null && System.currentTimeMillis() < deadline) {
                String out = exec(List.of(kcat, "-C", "-b", bootstrap, "-t", "millrace.results", "-X",
                        "isolation.level=read_committed", "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n"), "");
                for (String l : out.split("\n")) {
                    if (l.startsWith("kcat-1\t")) {
                        result = Json.parse(l.substring("kcat-1\t".length()));
                    }
                }
                if (result == null) {
                    Thread.sleep(500);
                }
            }
            assertThat(result).as("a result for kcat-1 on millrace.results").isNotNull();
            assertThat(result.get("request_id").asText()).isEqualTo("kcat-1");
            assertThat(result.get("error").isNull()).isTrue();
            assertThat(result.at("/body/object").asText()).isEqualTo("chat.completion");
            assertThat(result.at("/body/usage/completion_tokens").asInt()).isBetween(1, 8);

            HttpResponse<String> http = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + serve.api().orElseThrow().httpPort() + "/v1/requests/kcat-1")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(http.statusCode()).isEqualTo(200);
            assertThat(Json.parse(http.body()).get("custom_id").asText()).isEqualTo("kcat-1");

            // The worker's meters are scraped from the same process, Prometheus style.
            HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + serve.metrics().orElseThrow().port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("millrace_worker_generation_tokens_total{model=\"millrace-tiny\"}")
                    .contains("millrace_worker_time_to_first_token_seconds_count").contains("jvm_memory_used_bytes");
        }
    }

    private static String kcatBinary() {
        for (String candidate : List.of("/usr/bin/kcat", "/usr/bin/kafkacat", "/usr/local/bin/kcat")) {
            if (new java.io.File(candidate).canExecute()) {
                return candidate;
            }
        }
        return fail("kcat is not installed: install Debian's kafkacat package (apt-get install kafkacat), as .ci/run does");
    }

    private static String exec(List<String> command, String stdin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("kcat did not finish: " + command);
        }
        assertThat(p.exitValue()).as("kcat exit code, output: " + out).isZero();
        return out;
    }
}
