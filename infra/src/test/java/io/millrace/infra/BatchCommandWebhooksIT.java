package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import io.millrace.protocol.webhooks.WebhookEventIds;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch run by {@code millrace batch} against a cluster tells its webhook endpoints that it is
 * done, as a batch created over the API does: {@code batch.completed} once every line has its
 * result, beside each line's {@code request.completed}. Keyless ({@code --auth none}): the
 * command's batches and an endpoint registered without a key both belong to no tenant. The
 * receiver verifies each delivery with the standardwebhooks npm package, on 127.0.0.1 only.
 */
class BatchCommandWebhooksIT {
    @TempDir
    Path dir;

    @Test
    void aBatchOfTheBatchCommandSendsBatchCompleted() throws Exception {
        try (RunningServe serve = RunningServe.start(dir, bootstrap -> new Settings(bootstrap, dir, 0, 0, List.of(),
                "batch-webhooks-it", -1, Map.of("webhooks.allow.private", "true", "webhooks.retry.delays", "1s,2s,3s"))
                .withApi(false, Duration.ofSeconds(60)));
                WebhookReceiver receiver = WebhookReceiver.start()) {
            String api = "http://127.0.0.1:" + serve.deployment().api().orElseThrow().httpPort();
            HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api + "/v1/webhooks"))
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"url\": \""
                            + receiver.base() + "/ok/cli\", \"events\": [\"batch.completed\", \"request.completed\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            String secret = Json.MAPPER.readTree(created.body()).get("secret").asText();
            receiver.configure("{\"path\": \"/ok/cli\", \"secrets\": [\"" + secret + "\"]}");

            Path input = dir.resolve("two.jsonl");
            Files.writeString(input, line("a") + line("b"));
            BatchCommand.Outcome outcome = Commands.parse(BatchCommand.class, "batch", input.toString(),
                    "--bootstrap-servers", serve.deployment().bootstrapServers(), "--data-dir", dir.resolve("client").toString()).run();
            assertThat(outcome.completed()).isEqualTo(2);

            String batchDone = WebhookEventIds.forBatch(outcome.batchId(), "batch.completed");
            List<String> expected = List.of(batchDone,
                    WebhookEventIds.forRequest(Ids.requestId(outcome.batchId(), "a"), "request.completed"),
                    WebhookEventIds.forRequest(Ids.requestId(outcome.batchId(), "b"), "request.completed"));
            JsonNode state = receiver.await(s -> expected.stream().allMatch(id -> s.get("accepted").has(id)), Duration.ofSeconds(60));
            assertThat(state.get("problems")).as("deliveries that did not verify").isEmpty();
            assertThat(state.get("duplicates").asInt()).isZero();
            JsonNode event = state.get("accepted").get(batchDone);
            assertThat(event.get("type").asText()).isEqualTo("batch.completed");
            assertThat(event.at("/data/id").asText()).isEqualTo(outcome.batchId());
        }
    }

    private static String line(String customId) {
        return "{\"custom_id\": \"" + customId + "\", \"method\": \"POST\", \"url\": \"/v1/chat/completions\", \"body\": {\"model\":"
                + " \"millrace-tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"Say " + customId + "\"}],"
                + " \"max_tokens\": 4}}\n";
    }
}
