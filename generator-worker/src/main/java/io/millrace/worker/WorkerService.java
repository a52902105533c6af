package io.millrace.worker;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.protocol.Topics;
import io.millrace.worker.model.BatchEngine;
import io.millrace.worker.model.CompletionEngine;
import io.millrace.worker.model.DecoderModel;
import io.millrace.worker.model.SequentialEngine;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ForkJoinPool;
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
 * The generator-worker stage: loads its models, gives each an engine, and runs a
 * {@link GenerationWorker} loop in the consumer group {@value #GROUP_ID}, with a
 * {@link BatchCancellationReader} beside it. Guarantee: at-least-once generation, exactly-once
 * results (see {@link GenerationWorker}). Scale out by starting more processes: partitions of the
 * generation topics are shared among all workers of the group.
 *
 * <p>Overrides: {@code consumer.*} and {@code producer.*} go to the Kafka clients (e.g.
 * {@code consumer.max.poll.interval.ms}), except those that would break exactly-once
 * ({@link ExactlyOnceOverrides}, refused); {@code worker.*} to {@link WorkerConfig} and
 * {@link RetrySchedule} ({@code worker.retry.delays}) and {@link HealthPublisher} ({@code worker.health.interval.ms}). The models arrive loaded: their
 * {@code worker.ort.*} settings ({@link WorkerConfig#session}) are applied by whoever loads them.
 */
public final class WorkerService implements AutoCloseable {
    public static final String GROUP_ID = "millrace-worker";
    /**
     * The group (and transactional id prefix) of workers of external models ({@link #external}): a
     * group of their own, so a process running both kinds keeps two transactional ids, and a
     * rebalance of one never stops the other.
     */
    public static final String EXTERNAL_GROUP_ID = "millrace-remote";
    private static final Logger log = LoggerFactory.getLogger(WorkerService.class);
    private final String bootstrapServers;
    private final Map<String, DecoderModel> models;
    /** Models answered by something other than a local engine; empty for a local worker. */
    private final Map<String, ExternalModel> externals;
    /** The consumer group, also the prefix of the transactional and client ids. */
    private final String group;
    private final String instanceId;
    private final boolean staticMember;
    private final Map<String, Object> overrides;
    private final WorkerConfig config;
    private final RetrySchedule retries;
    private final WorkerMetrics metrics;
    /** Wraps each engine before use: identity but in tests that inject engine faults. */
    private java.util.function.UnaryOperator<CompletionEngine> engineWrapper = java.util.function.UnaryOperator.identity();
    private final List<CompletionEngine> engines = new ArrayList<>();
    private final List<AutoCloseable> loops = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();
    /** Publishes the text of streamed requests; created with the loops. */
    private DeltaPublisher deltas;
    /** Publishes this worker's heartbeats per model; created with the loops. */
    private HealthPublisher health;
    private final Duration healthInterval;

    /**
     * @param models     loaded models by served name; the service closes them
     * @param instanceId stable id of this worker process (static membership and transactional id),
     *                   or null for a random one
     */
    public WorkerService(String bootstrapServers, Map<String, DecoderModel> models, String instanceId,
            Map<String, Object> overrides) {
        this(bootstrapServers, models, instanceId, overrides, new SimpleMeterRegistry());
    }

    /** As above, with the worker's meters ({@link WorkerMetrics}) in {@code registry}. */
    public WorkerService(String bootstrapServers, Map<String, DecoderModel> models, String instanceId,
            Map<String, Object> overrides, MeterRegistry registry) {
        this(bootstrapServers, models, Map.of(), GROUP_ID, instanceId, overrides, registry);
        if (models.isEmpty()) {
            throw new IllegalArgumentException("a worker needs at least one model: pass --model-dir DIR");
        }
    }

    /**
     * A worker of models served elsewhere (remote providers): the same loop, commit boundary, lanes,
     * retry tiers, cancellations and heartbeats as local models, in group {@value #EXTERNAL_GROUP_ID}.
     */
    public static WorkerService external(String bootstrapServers, Map<String, ExternalModel> models, String instanceId,
            Map<String, Object> overrides, MeterRegistry registry) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("a remote worker needs at least one model of kind: remote in the deployment file");
        }
        return new WorkerService(bootstrapServers, Map.of(), models, EXTERNAL_GROUP_ID, instanceId, overrides, registry);
    }

    private WorkerService(String bootstrapServers, Map<String, DecoderModel> models, Map<String, ExternalModel> externals,
            String group, String instanceId, Map<String, Object> overrides, MeterRegistry registry) {
        this.bootstrapServers = bootstrapServers;
        this.models = new LinkedHashMap<>(models);
        this.externals = new LinkedHashMap<>(externals);
        this.group = group;
        this.staticMember = instanceId != null;
        this.instanceId = instanceId != null ? instanceId : "worker-" + UUID.randomUUID().toString().substring(0, 8);
        this.overrides = Map.copyOf(overrides);
        this.config = WorkerConfig.from(this.overrides);
        this.retries = RetrySchedule.from(this.overrides);
        this.healthInterval = HealthPublisher.interval(this.overrides);
        this.metrics = new WorkerMetrics(registry);
    }

    /** The engine a model generates on: the one place engines are built. */
    static CompletionEngine newEngine(WorkerConfig config, DecoderModel model) {
        return switch (config.engine()) {
            case BATCH -> new BatchEngine(model, config.batching());
            case SEQUENTIAL -> new SequentialEngine(model);
        };
    }

    /**
     * For tests only, to inject faults a real engine cannot produce on demand (a generation that
     * fails): each engine is passed through {@code wrapper} before the worker uses it. Before {@link #start}.
     */
    public void wrapEnginesForTest(java.util.function.UnaryOperator<CompletionEngine> wrapper) {
        this.engineWrapper = wrapper;
    }

    public void start() {
        Map<String, ServedModel> served = new LinkedHashMap<>();
        for (DecoderModel m : models.values()) {
            CompletionEngine engine = engineWrapper.apply(newEngine(config, m));
            engines.add(engine);
            served.put(m.name(), new ServedModel(m, engine, metrics.model(m.name(), engine)));
        }
        CancelledBatches cancelled = new CancelledBatches();
        CancelledRequests cancelledRequests = new CancelledRequests();
        BatchCancellationReader reader = new BatchCancellationReader(
                new KafkaConsumer<>(batchesConsumerConfig(), new StringDeserializer(), new ByteArrayDeserializer()), cancelled,
                cancelledRequests);
        startThread(reader, "millrace-batches-" + instanceId);
        try {
            // Requests of batches cancelled before this start are then answered without generating.
            if (!reader.awaitCaughtUp(Duration.ofSeconds(10))) {
                log.warn("{} not read to its end in 10 s: requests of batches cancelled earlier may be generated",
                        Topics.BATCHES.name());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> topics = new ArrayList<>();
        List<String> names = new ArrayList<>(models.keySet());
        names.addAll(externals.keySet());
        for (String m : names) {
            topics.add(Topics.generation(m).name());
            topics.add(Topics.interactive(m).name());
            topics.addAll(retries.topics(m));
        }
        deltas = new DeltaPublisher(bootstrapServers);
        RequestAnswerer answerer = externals.isEmpty() ? new CompletionHandler(served, Clock.systemUTC(), ForkJoinPool.commonPool(), deltas)
                : new ExternalAnswerer(externals, deltas::publish, Clock.systemUTC());
        GenerationWorker worker = new GenerationWorker(
                new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new ByteArrayDeserializer()),
                new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer()),
                answerer, topics, cancelled, metrics, config, Clock.systemUTC(), retries);
        worker.cancelRequestsFrom(cancelledRequests);
        Map<String, java.util.function.Supplier<io.millrace.worker.model.EngineStats>> byModel = new LinkedHashMap<>();
        served.forEach((name, m) -> byModel.put(name, m.engine()::stats));
        externals.forEach((name, m) -> byModel.put(name, () -> new io.millrace.worker.model.EngineStats(m.running().getAsInt(),
                m.waiting().getAsInt(), 0, 0, 0, 0, 0)));
        health = new HealthPublisher(new KafkaProducer<>(healthProducerConfig(), new StringSerializer(), new ByteArraySerializer()),
                instanceId, byModel, healthInterval, Clock.systemUTC());
        worker.reportHealthTo(health);
        health.start();
        startThread(worker, group + "-" + instanceId);
        if (externals.isEmpty()) {
            log.info("worker {} consuming {} ({}), {} engine, up to {} requests in flight, retries after {} ms", instanceId, topics,
                    models.values().stream().map(m -> m.name() + " on " + m.executionProvider()).toList(),
                    config.engine().name().toLowerCase(), config.maxInFlight(), retries.delaysMs());
        } else {
            log.info("remote worker {} consuming {}, up to {} requests in flight, retries after {} ms", instanceId, topics,
                    config.maxInFlight(), retries.delaysMs());
        }
    }

    /**
     * Why a loop of this worker stopped on its own (a fatal Kafka error, a stopped engine), or
     * empty while it runs: a process that serves nothing else should exit then.
     */
    public java.util.Optional<Throwable> failure() {
        return java.util.Optional.ofNullable(failure.get());
    }

    private <L extends Runnable & AutoCloseable> void startThread(L loop, String name) {
        Thread t = new Thread(loop, name);
        t.setDaemon(true);
        // A loop that dies stops this worker's share of the work: say why to whoever watches it.
        t.setUncaughtExceptionHandler((thread, e) -> failure.compareAndSet(null, e));
        loops.add(loop);
        threads.add(t);
        t.start();
    }

    Properties consumerConfig() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // Only requests the router committed; aborted router transactions are never generated.
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        // A poll may overshoot the in-flight bound by this much before the partitions pause.
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, config.maxInFlight());
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientPrefix() + instanceId);
        // Heartbeats come from the poll thread, never blocked by generation, so a short session is
        // safe: a crashed worker's partitions move to the others within 10 s instead of 45 s.
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 3_000);
        if (staticMember) {
            // Static membership: a restart within the session timeout keeps its partitions, no rebalance.
            p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId);
        }
        putOverrides(p, "consumer.");
        return p;
    }

    /**
     * The cancellation reader's consumer: the {@code consumer.*} overrides (a cluster's security
     * settings apply to it too), but no group (every worker reads every partition) and nothing committed.
     */
    Properties batchesConsumerConfig() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        putOverrides(p, "consumer.");
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientPrefix() + instanceId + "-batches");
        return p;
    }

    Properties producerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // Stable per instance so a restarted worker fences its own zombie transactions.
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, group + "-" + instanceId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // A transaction's sends all happen at once (they batch anyway) and its commit flushes them.
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        // A send that reaches a partition while the previous transaction's markers are still being
        // written is refused with CONCURRENT_TRANSACTIONS and retried after this back-off; the
        // default 100 ms then lands whole on a waiting client's latency, markers take ~1 ms.
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 5);
        // A transaction opens only once its results are ready and commits right away, so it lives
        // milliseconds. The timeout bounds how long a crashed worker's open transaction holds back
        // read_committed readers of its result partitions (the broker aborts it then): 15 s, not 60.
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 15_000);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientPrefix() + instanceId + "-results");
        putOverrides(p, "producer.");
        return p;
    }

    /**
     * The heartbeats' producer: outside transactions, idempotent, the {@code producer.*} overrides (a
     * cluster's security settings) applied; a send never waits long for metadata, as a late heartbeat is worthless.
     */
    Properties healthProducerConfig() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        putOverrides(p, "producer.");
        p.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 5_000);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientPrefix() + instanceId + "-health");
        return p;
    }

    /** Client ids name the kind of worker, so a process running both tells their clients apart. */
    private String clientPrefix() {
        return externals.isEmpty() ? "millrace-" : "millrace-remote-";
    }

    private void putOverrides(Properties p, String prefix) {
        overrides.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                p.put(k.substring(prefix.length()), v);
            }
        });
    }

    @Override
    public void close() {
        // Goodbye first: the router stops counting on this worker from its last report.
        if (health != null) {
            health.close();
        }
        for (AutoCloseable loop : loops) {
            try {
                loop.close();
            } catch (Exception e) {
                log.warn("error while stopping {}: {}", loop.getClass().getSimpleName(), e.toString());
            }
        }
        for (Thread t : threads) {
            try {
                t.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (deltas != null) {
            deltas.close();
        }
        metrics.close();
        engines.forEach(CompletionEngine::close);
        models.values().forEach(DecoderModel::close);
        for (ExternalModel m : externals.values()) {
            try {
                m.resources().close();
            } catch (Exception e) {
                log.warn("error while closing a remote model: {}", e.toString());
            }
        }
    }
}
