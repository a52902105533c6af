package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Small chat requests written straight to {@code millrace.requests} and their committed results read back, as the
 * ITs on the real broker submit and wait for them.
 */
final class ChatRequests {
    private ChatRequests() {}

    static KafkaProducer<String, RequestEvent> producer(String bootstrap) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
                Topics.REQUESTS.keySerde().serializer(), Topics.REQUESTS.valueSerde().serializer());
    }

    /** A read_committed reader of {@code millrace.results} from the beginning, in a group of its own. */
    static KafkaConsumer<String, ResultEvent> resultsReader(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "results-reader-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<String, ResultEvent> c = new KafkaConsumer<>(p, Topics.RESULTS.keySerde().deserializer(),
                Topics.RESULTS.valueSerde().deserializer());
        c.subscribe(List.of(Topics.RESULTS.name()));
        return c;
    }

    /** Sends {@code n} requests of one batch for {@code model}, ids (and custom ids) {@code <prefix>-<i>}, 4 tokens each. */
    static Set<String> submit(KafkaProducer<String, RequestEvent> producer, String batchId, String prefix, String model, int n)
            throws Exception {
        Set<String> ids = new LinkedHashSet<>();
        for (int i = 0; i < n; i++) {
            String id = prefix + "-" + i;
            RequestEvent e = new RequestEvent(id, batchId, id, null, "POST", "/v1/chat/completions", Json.parse(
                    "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Request " + id + "\"}],\"max_tokens\":4}"),
                    null, 0L);
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), id, e)).get();
            ids.add(id);
        }
        return ids;
    }

    /** The first committed result of each of {@code ids}, waiting up to 60 s for all. */
    static Map<String, ResultEvent> answers(String bootstrap, Set<String> ids) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            Map<String, List<ResultEvent>> all = WorkerHarness.committedResults(bootstrap);
            if (all.keySet().containsAll(ids)) {
                Map<String, ResultEvent> mine = new HashMap<>();
                ids.forEach(id -> mine.put(id, all.get(id).get(0)));
                return mine;
            }
            assertThat(System.currentTimeMillis()).as("results for " + ids).isLessThan(deadline);
            Thread.sleep(200);
        }
    }
}
