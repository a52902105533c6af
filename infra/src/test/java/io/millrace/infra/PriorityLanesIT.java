package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Priority lanes on a real broker, every stage running: while a batch fills the worker, a lone
 * (interactive) request is routed to the model's interactive lane and answered before the batch
 * finishes; the batch's lines still get exactly one result each.
 */
class PriorityLanesIT {
    private static final int LINES = 120;
    private static final String BATCH = "lanes-it";

    @TempDir
    Path dir;

    @Test
    void anInteractiveRequestIsAnsweredWhileABatchRuns() throws Exception {
        try (TestKafka kafka = TestKafka.start(dir.resolve("broker"))) {
            Settings settings = new Settings(kafka.bootstrapServers(), dir.resolve("serve"), 0, 0, List.of(), "lanes-it", 0,
                    Map.of("cache.enabled", "false"));
            try (Deployment d = Deployment.start(settings, EnumSet.allOf(Role.class));
                    KafkaProducer<String, RequestEvent> producer = ChatRequests.producer(kafka.bootstrapServers());
                    KafkaConsumer<String, ResultEvent> results = ChatRequests.resultsReader(kafka.bootstrapServers())) {
                d.awaitRunning(Duration.ofSeconds(60));
                Map<String, Integer> answers = new HashMap<>();
                // Warm-up: every partition of the path written once before the batch. The router's first
                // transaction on a partition can be refused by the broker (OutOfOrderSequenceException with
                // transactions v2, when batches to a partition it has no state for arrive out of order); Kafka
                // Streams then recovers the task by a rebalance, seconds in which nothing is routed, which
                // would be measured here as the lane's delay.
                for (int i = 0; i < 24; i++) {
                    producer.send(request("warm-" + i, i % 2 == 0 ? null : "warm", "Warm-up " + i, 1));
                }
                producer.flush();
                collect(results, answers, () -> answers.size() == 24, "the warm-up answered", 120);
                answers.clear();
                for (int i = 0; i < LINES; i++) {
                    String id = BATCH + ":line-" + i;
                    producer.send(request(id, BATCH, "Line " + i + " of the batch, about the mill and the river", 32));
                }
                producer.flush();

                // The batch is running: some of its lines are answered, most are not.
                collect(results, answers, () -> answers.size() >= 10, "10 batch lines answered", 120);
                long sent = System.nanoTime();
                producer.send(request("chat-1", null, "Hello while the batch runs", 8)).get();
                collect(results, answers, () -> answers.containsKey("chat-1"), "the interactive request answered", 120);
                int batchDoneThen = answers.size() - 1;
                System.out.printf("interactive answered in %d ms with %d of %d batch lines done%n",
                        (System.nanoTime() - sent) / 1_000_000, batchDoneThen, LINES);

                assertThat(batchDoneThen).as("batch lines answered before the interactive request was").isLessThan(LINES);
                // On 2 shared CPUs the tiny model's batch takes minutes: the bound is for a stuck run only.
                try {
                    collect(results, answers, () -> answers.size() == LINES + 1, "every batch line answered", 240);
                } catch (AssertionError e) {
                    // Say where the unanswered lines are: never routed (router) or routed and not answered (worker).
                    Set<String> routed = keys(kafka, Topics.generation(WorkerHarness.MODEL).name());
                    for (int i = 0; i < LINES; i++) {
                        String id = BATCH + ":line-" + i;
                        if (!answers.containsKey(id)) {
                            System.out.printf("unanswered %s: %s%n", id, routed.contains(id) ? "routed" : "NOT routed");
                        }
                    }
                    throw e;
                }
                assertThat(answers.values()).as("exactly one result per request").containsOnly(1);
                // It went through the lane, and batch work did not.
                Set<String> lane = keys(kafka, Topics.interactive(WorkerHarness.MODEL).name());
                Set<String> batch = keys(kafka, Topics.generation(WorkerHarness.MODEL).name());
                assertThat(lane).contains("chat-1").noneMatch(id -> id.startsWith(BATCH));
                assertThat(batch).filteredOn(id -> id.startsWith(BATCH)).hasSize(LINES);
                assertThat(batch).doesNotContain("chat-1");
            }
        }
    }

    /** Reads results into {@code answers} (result records per request id) until {@code done}. */
    private static void collect(KafkaConsumer<String, ResultEvent> consumer, Map<String, Integer> answers,
            java.util.function.BooleanSupplier done, String what, int seconds) {
        long deadline = System.nanoTime() + Duration.ofSeconds(seconds).toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within " + seconds + " s").isLessThan(deadline);
            // Every record of a poll is counted: the consumer's position is already past them all.
            for (ConsumerRecord<String, ResultEvent> r : consumer.poll(Duration.ofMillis(50))) {
                assertThat(r.value().statusCode()).as(r.key()).isEqualTo(200);
                answers.merge(r.key(), 1, Integer::sum);
            }
        }
    }

    /** The record keys of a topic's request events (their request ids; the topic is keyed by conversation). */
    private static Set<String> keys(TestKafka kafka, String topic) {
        Set<String> ids = new HashSet<>();
        TopicScan.toEnd(kafka.bootstrapServers(), topic, r -> ids.add(Topics.REQUEST_SERDE.deserializer()
                .deserialize(topic, r.value()).requestId()));
        return ids;
    }

    private static ProducerRecord<String, RequestEvent> request(String id, String batchId, String content, int maxTokens)
            throws Exception {
        return new ProducerRecord<>(Topics.REQUESTS.name(), id, new RequestEvent(id, batchId, id, null, "POST",
                "/v1/chat/completions", Json.parse("{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\""
                        + content + "\"}],\"max_tokens\":" + maxTokens + ",\"temperature\":0}"), null, 0L));
    }
}
