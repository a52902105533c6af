package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.router.RouterService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The response cache on a real broker, every stage running: a greedy request is generated once; the
 * same request under another id is answered by the router from millrace.response-cache, the worker's
 * request count unchanged, also when it comes streamed over HTTP; and with the cache off the same
 * request is generated.
 */
class ResponseCacheIT {
    private static final String BODY = "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Cache me\"}],"
            + "\"max_tokens\":6,\"temperature\":0}";

    @TempDir
    Path dir;

    @Test
    void aRepeatedGreedyRequestIsAnsweredWithZeroWorkerWork() throws Exception {
        try (TestKafka kafka = TestKafka.start(dir.resolve("broker"))) {
            Settings settings = new Settings(kafka.bootstrapServers(), dir.resolve("serve"), 0, 0, List.of(), "cache-it", 0, Map.of());
            try (Deployment d = Deployment.start(settings, EnumSet.allOf(Role.class));
                    KafkaProducer<String, RequestEvent> producer = ChatRequests.producer(kafka.bootstrapServers());
                    KafkaConsumer<String, ResultEvent> results = ChatRequests.resultsReader(kafka.bootstrapServers())) {
                d.awaitRunning(Duration.ofSeconds(60));
                RouterService router = d.router().orElseThrow();

                producer.send(request("first", BODY)).get();
                ResultEvent first = await(results, "first");
                assertThat(first.generated()).isTrue();
                assertThat(first.cached()).isFalse();
                double generatedBefore = workerRequests(d);
                assertThat(generatedBefore).isEqualTo(1.0);
                awaitCacheEntries(router, 1);

                producer.send(request("second", BODY)).get();
                ResultEvent second = await(results, "second");
                assertThat(second.cached()).isTrue();
                assertThat(second.generated()).isFalse();
                assertThat(second.body().get("cached").asBoolean()).isTrue();
                assertThat(second.body().get("generated").asBoolean()).isFalse();
                assertThat(second.body().get("id").asText()).isNotEqualTo(first.body().get("id").asText());
                assertThat(second.body().get("choices")).isEqualTo(first.body().get("choices"));
                assertThat(workerRequests(d)).as("no worker work for a cache hit").isEqualTo(generatedBefore);
                // The batch output line carries the same marks in its response body.
                assertThat(io.millrace.protocol.BatchOutputLine.of(second).at("/response/body/cached").asBoolean()).isTrue();
                // Both say why this model: the one named (no alias, auto or fallback).
                assertThat(first.route()).isEqualTo(new io.millrace.protocol.events.RouteInfo("millrace-tiny", "millrace-tiny", "direct"));
                assertThat(second.body().at("/route/reason").asText()).isEqualTo("direct");

                // Streamed over HTTP, the same request is a hit too ("stream" is not part of the key): no
                // worker deltas come, and the stream is told the whole text by the committed answer.
                com.openai.client.OpenAIClient sdk = com.openai.client.okhttp.OpenAIOkHttpClient.builder()
                        .baseUrl("http://localhost:" + d.api().orElseThrow().httpPort() + "/v1").apiKey("unused").maxRetries(0).build();
                StringBuilder streamed = new StringBuilder();
                try (var stream = sdk.chat().completions().createStreaming(
                        com.openai.models.chat.completions.ChatCompletionCreateParams.builder().model("millrace-tiny")
                                .addUserMessage("Cache me").maxTokens(6).temperature(0.0).build())) {
                    stream.stream().forEach(chunk -> chunk.choices().forEach(c -> c.delta().content().ifPresent(streamed::append)));
                }
                assertThat(streamed.toString()).isEqualTo(first.body().at("/choices/0/message/content").asText());
                assertThat(workerRequests(d)).as("no worker work for a streamed hit").isEqualTo(generatedBefore);
            }
            // A fresh process on the same broker with the cache off: the same request is generated again.
            Settings off = new Settings(kafka.bootstrapServers(), dir.resolve("serve-off"), 0, 0, List.of(), "cache-it-off", 0,
                    Map.of("cache.enabled", "false"));
            try (Deployment d = Deployment.start(off, EnumSet.allOf(Role.class));
                    KafkaProducer<String, RequestEvent> producer = ChatRequests.producer(kafka.bootstrapServers());
                    KafkaConsumer<String, ResultEvent> results = ChatRequests.resultsReader(kafka.bootstrapServers())) {
                d.awaitRunning(Duration.ofSeconds(60));
                producer.send(request("third", BODY)).get();
                ResultEvent third = await(results, "third");
                assertThat(third.generated()).isTrue();
                assertThat(third.cached()).isFalse();
                assertThat(workerRequests(d)).isEqualTo(1.0);
            }
        }
    }

    private static void awaitCacheEntries(RouterService router, long n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (router.responseCacheEntries() < n) {
            assertThat(System.nanoTime()).as("the router's cache holds the first result within 30 s").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static double workerRequests(Deployment d) {
        return d.metrics().orElseThrow().registry().find("millrace.worker.requests").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    private static ProducerRecord<String, RequestEvent> request(String id, String body) throws Exception {
        return new ProducerRecord<>(Topics.REQUESTS.name(), id, new RequestEvent(id, null, id, null, "POST",
                "/v1/chat/completions", Json.parse(body), null, 0L));
    }

    private static ResultEvent await(KafkaConsumer<String, ResultEvent> consumer, String id) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, ResultEvent> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.key().equals(id)) {
                    return r.value();
                }
            }
        }
        throw new AssertionError("no result for " + id + " within 60 s");
    }
}
