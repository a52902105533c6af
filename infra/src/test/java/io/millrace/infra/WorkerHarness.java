package io.millrace.infra;

import io.micrometer.core.instrument.MeterRegistry;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.WorkerService;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A generator worker alone on the in-process broker, for tests of the worker's Kafka side:
 * requests are produced straight to the generation topic (as the router would route them) and
 * results read back with {@code read_committed}.
 */
final class WorkerHarness implements AutoCloseable {
    static final String MODEL = TinyModel.NAME;

    private final EmbeddedKafkaBroker broker;
    private final Path dir;
    private final KafkaProducer<String, byte[]> producer;
    private WorkerService worker;

    private WorkerHarness(EmbeddedKafkaBroker broker, Path dir) {
        this.broker = broker;
        this.dir = dir;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
    }

    static WorkerHarness start(Path dir) {
        return start(dir, Topics.DEFAULT_RETRY_DELAYS_MS);
    }

    /** With the retry topics of these delays (ms), for a worker started with the same {@code worker.retry.delays}. */
    static WorkerHarness start(Path dir, List<Long> retryDelaysMs) {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), 0);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            TopicProvisioner.provision(admin, Topics.all(List.of(MODEL), retryDelaysMs));
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        return new WorkerHarness(broker, dir);
    }

    /** Starts a worker serving the built-in model, with these overrides, its meters in {@code registry}. */
    WorkerService startWorker(Map<String, Object> overrides, MeterRegistry registry) throws Exception {
        return startWorker(overrides, registry, java.util.function.UnaryOperator.identity());
    }

    /** The same, each engine passed through {@code engines} first (to inject faults only). */
    WorkerService startWorker(Map<String, Object> overrides, MeterRegistry registry,
            java.util.function.UnaryOperator<io.millrace.worker.model.CompletionEngine> engines) throws Exception {
        Path modelDir = dir.resolve("model").resolve(MODEL);
        TinyModel.write(modelDir);
        worker = new WorkerService(broker.bootstrapServers(), Map.of(MODEL, DecoderModel.load(modelDir)), null, overrides,
                registry);
        worker.wrapEnginesForTest(engines);
        worker.start();
        return worker;
    }

    /** A routed chat request of {@code maxTokens} tokens (greedy), optionally in a batch. */
    static RequestEvent request(String id, String batchId, String content, int maxTokens) throws Exception {
        return new RequestEvent(id, batchId, id, null, "POST", "/v1/chat/completions", Json.parse(
                "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}],"
                        + "\"max_tokens\":" + maxTokens + ",\"temperature\":0}"), MODEL, System.currentTimeMillis());
    }

    void submit(List<RequestEvent> requests) {
        String topic = Topics.generation(MODEL).name();
        for (RequestEvent r : requests) {
            producer.send(new ProducerRecord<>(topic, r.requestId(), Topics.REQUEST_SERDE.serializer().serialize(topic, r)));
        }
        producer.flush();
    }

    void publish(BatchEvent batch) {
        producer.send(new ProducerRecord<>(Topics.BATCHES.name(), batch.batchId(),
                Topics.BATCH_SERDE.serializer().serialize(Topics.BATCHES.name(), batch)));
        producer.flush();
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** Every committed result record, grouped by request id, read from the start of the results topic. */
    Map<String, List<ResultEvent>> committedResults() {
        return committedResults(broker.bootstrapServers());
    }

    /** The same, on any cluster: what a read_committed reader of millrace.results sees, duplicates included. */
    static Map<String, List<ResultEvent>> committedResults(String bootstrapServers) {
        Map<String, List<ResultEvent>> byId = new HashMap<>();
        TopicScan.toEnd(bootstrapServers, Topics.RESULTS.name(), r -> byId.computeIfAbsent(r.key(), k -> new ArrayList<>())
                .add(Topics.RESULT_SERDE.deserializer().deserialize(r.topic(), r.value())));
        return byId;
    }

    @Override
    public void close() {
        try {
            if (worker != null) {
                worker.close();
            }
            producer.close();
        } finally {
            broker.close();
        }
    }
}
