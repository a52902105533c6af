package io.millrace.worker;

import io.millrace.protocol.Topics;
import io.millrace.worker.model.DecoderModel;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generator-worker stage: loads its models and runs {@link GenerationWorker} loops in the
 * consumer group {@value #GROUP_ID}. Guarantee: at-least-once generation, exactly-once results
 * (see {@link GenerationWorker}). Scale out by starting more processes: partitions of the
 * generation topics are shared among all workers of the group.
 */
public final class WorkerService implements AutoCloseable {
    public static final String GROUP_ID = "millrace-worker";
    private static final Logger log = LoggerFactory.getLogger(WorkerService.class);

    private final String bootstrapServers;
    private final Map<String, DecoderModel> models;
    private final String instanceId;
    private final boolean staticMember;
    private final Map<String, Object> overrides;
    private final List<GenerationWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    /**
     * @param models     loaded models by served name; the service closes them
     * @param instanceId stable id of this worker process (static membership and transactional id),
     *                   or null for a random one
     */
    public WorkerService(String bootstrapServers, Map<String, DecoderModel> models, String instanceId,
            Map<String, Object> overrides) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("a worker needs at least one model: pass --model-dir DIR");
        }
        this.bootstrapServers = bootstrapServers;
        this.models = new LinkedHashMap<>(models);
        this.staticMember = instanceId != null;
        this.instanceId = instanceId != null ? instanceId : "worker-" + UUID.randomUUID().toString().substring(0, 8);
        this.overrides = Map.copyOf(overrides);
    }

    public void start() {
        List<String> topics = models.keySet().stream().map(m -> Topics.generation(m).name()).toList();
        CompletionHandler handler = new CompletionHandler(models, Clock.systemUTC());
        GenerationWorker worker = new GenerationWorker(
                new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new ByteArrayDeserializer()),
                new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer()),
                handler, topics, Clock.systemUTC());
        Thread t = new Thread(worker, "millrace-worker-" + instanceId);
        t.setDaemon(true);
        workers.add(worker);
        threads.add(t);
        t.start();
        log.info("worker {} consuming {} ({})", instanceId, topics,
                models.values().stream().map(m -> m.name() + " on " + m.executionProvider()).toList());
    }

    Properties consumerConfig() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP_ID);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Only requests the router committed; aborted router transactions are never generated.
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // Bounded so that one poll's generation stays far below max.poll.interval.ms.
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 16);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "millrace-" + instanceId);
        if (staticMember) {
            // Static membership: a restart within the session timeout keeps its partitions, no rebalance.
            p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        overrides.forEach((k, v) -> {
            if (k.startsWith("consumer.")) {
                p.put(k.substring("consumer.".length()), v);
            }
        });
        return p;
    }

    Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // Stable per instance so a restarted worker fences its own zombie transactions.
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "millrace-worker-" + instanceId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "millrace-" + instanceId + "-results");
        overrides.forEach((k, v) -> {
            if (k.startsWith("producer.")) {
                p.put(k.substring("producer.".length()), v);
            }
        });
        return p;
    }

    @Override
    public void close() {
        workers.forEach(GenerationWorker::close);
        for (Thread t : threads) {
            try {
                t.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        models.values().forEach(DecoderModel::close);
    }
}
