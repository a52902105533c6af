package io.millrace.infra;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.router.CacheSettings;
import io.millrace.router.RouterConfig;
import io.millrace.router.RouterService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The router's own figures (docs/BENCHMARKS.md; run by benchmarks/router.sh), on the in-process
 * broker, the router alone (no worker: it measures the stage, not generation):
 *
 * <ol>
 *   <li><b>Throughput</b>: N request events produced beforehand are routed (dedup, validation, cache
 *       lookup, exactly-once) to the model's topic; events/s from the first routed event a
 *       read_committed reader sees to the last, so start-up is left out. Baseline in the same run: a
 *       plain kafka-clients consume→produce passthrough of the same N records between two topics of
 *       the same partition count, exactly-once as the router is (read_committed consumer,
 *       transactional producer, offsets in the transaction, one transaction per poll), timed the same way.
 *   <li><b>Cache-hit latency</b>: one cacheable request is routed and answered by a result written as
 *       a worker would (standing in for the worker, which is not what is measured), so the router
 *       caches it; then M identical requests, one at a time, from the send to the committed cached
 *       answer on millrace.results. Beside it, a miss's hop for comparison: a unique request from the
 *       send to the routed event on the model's topic.
 *   <li><b>Behind a burst</b>: an interactive request sent right after a burst of batch lines, from the
 *       send to its routed event on the lane, once per burst: what reading each partition in order costs it.
 * </ol>
 *
 * <p>usage: RouterBenchmark WORK_DIR [--events 100000] [--hits 200] [--burst 2400] [--bursts 20]
 * [--set STREAMS_KEY=VALUE ...] [--out FILE.json]
 */
public final class RouterBenchmark {
    private static final String MODEL = "millrace-tiny";
    private static final String PASS_IN = "bench.passthrough-in";
    private static final String PASS_OUT = "bench.passthrough-out";

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int events = 100_000;
        int hits = 200;
        int burst = 2_400;
        int bursts = 20;
        Path out = null;
        Map<String, Object> overrides = new java.util.HashMap<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--set" -> {
                    String[] kv = args[++i].split("=", 2);
                    overrides.put(kv[0], kv[1]);
                }
                case "--events" -> events = Integer.parseInt(args[++i]);
                case "--hits" -> hits = Integer.parseInt(args[++i]);
                case "--burst" -> burst = Integer.parseInt(args[++i]);
                case "--bursts" -> bursts = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (see benchmarks/router.sh --help)");
            }
        }
        Files.createDirectories(work);
        try (TestKafka kafka = TestKafka.start(work.resolve("broker"));
                Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            String bootstrap = kafka.bootstrapServers();
            TopicProvisioner.provision(admin, Topics.all(List.of(MODEL)));
            int partitions = Topics.REQUESTS.partitions();
            admin.createTopics(List.of(new NewTopic(PASS_IN, partitions, (short) 1), new NewTopic(PASS_OUT, partitions, (short) 1)))
                    .all().get();
            awaitLeaders(admin, List.of(PASS_IN, PASS_OUT));

            System.err.printf("producing %d request events to %s and %s%n", events, Topics.REQUESTS.name(), PASS_IN);
            produce(bootstrap, events);

            System.err.println("passthrough (kafka-clients, exactly-once)");
            double passthrough = passthrough(bootstrap, events);

            System.err.println("router (cache on, as deployed)");
            RouterConfig config = new RouterConfig(ModelCatalog.of(new ModelCatalog.Entry(MODEL, 1024)),
                    io.millrace.protocol.Stores.DEDUP_RETENTION, Map.of(MODEL, "bench-identity"), CacheSettings.DEFAULT);
            try (RouterService router = new RouterService(bootstrap, work.resolve("router-state"), config, overrides);
                    Counter routed = new Counter(bootstrap, Topics.generation(MODEL).name())) {
                router.start();
                router.awaitRunning(Duration.ofSeconds(60));
                double routerRate = routed.rate(events, Duration.ofMinutes(10));

                System.err.printf("cache-hit latency (%d requests, one at a time)%n", hits);
                List<Long> hitMs;
                List<Long> missMs;
                List<Long> burstMs;
                try (LatencyProbe probe = new LatencyProbe(bootstrap)) {
                    probe.seedCache();
                    hitMs = probe.hits(hits);
                    missMs = probe.misses(hits);
                    System.err.printf("interactive requests behind bursts of %d batch lines (%d)%n", burst, bursts);
                    burstMs = probe.behindBursts(bursts, burst);
                }
                double ratio = routerRate / passthrough;
                System.out.printf("%-34s %12s%n", "figure", "value");
                System.out.printf("%-34s %12.0f%n", "passthrough events/s", passthrough);
                System.out.printf("%-34s %12.0f%n", "router events/s", routerRate);
                System.out.printf("%-34s %12.2f   (target >= 0.70)%n", "router / passthrough", ratio);
                System.out.printf("%-34s %12d   (target <= 10)%n", "cache hit p50 ms", pct(hitMs, 50));
                System.out.printf("%-34s %12d%n", "cache hit p99 ms", pct(hitMs, 99));
                System.out.printf("%-34s %12d%n", "miss, request -> routed p50 ms", pct(missMs, 50));
                System.out.printf("%-34s %12d%n", "miss, request -> routed p99 ms", pct(missMs, 99));
                System.out.printf("%-34s %12d%n", "behind " + burst + " lines, routed p50", pct(burstMs, 50));
                System.out.printf("%-34s %12d%n", "behind " + burst + " lines, routed max", pct(burstMs, 100));
                if (out != null) {
                    Files.writeString(out, String.format(java.util.Locale.ROOT,
                            "{\"date\":\"%s\",\"cpus\":%d,\"events\":%d,\"passthrough_events_per_s\":%.0f,\"router_events_per_s\":%.0f,"
                                    + "\"ratio\":%.3f,\"hits\":%d,\"cache_hit_p50_ms\":%d,\"cache_hit_p99_ms\":%d,"
                                    + "\"miss_routed_p50_ms\":%d,\"miss_routed_p99_ms\":%d,\"burst_lines\":%d,"
                                    + "\"behind_burst_routed_p50_ms\":%d,\"behind_burst_routed_max_ms\":%d}%n",
                            Instant.now(), Runtime.getRuntime().availableProcessors(), events, passthrough, routerRate, ratio,
                            hits, pct(hitMs, 50), pct(hitMs, 99), pct(missMs, 50), pct(missMs, 99), burst, pct(burstMs, 50),
                            pct(burstMs, 100)));
                    System.err.println("wrote " + out);
                }
            }
        }
        System.exit(0);
    }

    /**
     * Waits until every partition of the topics has a leader: a producer that writes to a topic the
     * broker is still creating retries its first batches, and on this broker such retries were seen
     * to end in OutOfOrderSequenceException (2026-12-06), losing the records.
     */
    private static void awaitLeaders(Admin admin, List<String> topics) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                if (admin.describeTopics(topics).allTopicNames().get().values().stream()
                        .allMatch(d -> d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()))) {
                    return;
                }
            } catch (java.util.concurrent.ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + topics + " have partitions without a leader after 30 s");
            }
            Thread.sleep(50);
        }
    }

    /** Valid, uncacheable (temperature 0.7, no seed) requests: the router's common path. */
    private static void produce(String bootstrap, int events) throws Exception {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5, ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024),
                new StringSerializer(), new ByteArraySerializer())) {
            List<java.util.concurrent.Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                String id = "bench-" + i;
                // Batch lines (the bulk the router's rate matters for): the model's batch lane.
                byte[] value = Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(),
                        request(id, "Say hello, number " + i, 0.7).withPriority(RequestEvent.BATCH));
                sends.add(producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), id, value)));
                sends.add(producer.send(new ProducerRecord<>(PASS_IN, id, value)));
            }
            producer.flush();
            // A lost input would leave a rate waiting for records that never come: fail here, saying so.
            for (java.util.concurrent.Future<?> f : sends) {
                f.get();
            }
        }
    }

    private static RequestEvent request(String id, String prompt, double temperature) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", MODEL);
        body.putArray("messages").addObject().put("role", "user").put("content", prompt);
        body.put("max_tokens", 8);
        body.put("temperature", temperature);
        return new RequestEvent(id, null, id, null, "POST", "/v1/chat/completions", body, null, System.currentTimeMillis());
    }

    /** Exactly-once consume→produce with plain clients: the least a stage with the router's guarantee must do. */
    private static double passthrough(String bootstrap, int events) throws Exception {
        Properties c = new Properties();
        c.putAll(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, "bench-passthrough",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        Properties p = new Properties();
        p.putAll(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.TRANSACTIONAL_ID_CONFIG, "bench-passthrough",
                ProducerConfig.LINGER_MS_CONFIG, 0));
        try (Counter counter = new Counter(bootstrap, PASS_OUT);
                KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
                KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            consumer.subscribe(List.of(PASS_IN));
            Thread pump = new Thread(() -> {
                int moved = 0;
                while (moved < events && !Thread.currentThread().isInterrupted()) {
                    ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
                    if (records.isEmpty()) {
                        continue;
                    }
                    producer.beginTransaction();
                    Map<TopicPartition, OffsetAndMetadata> offsets = new java.util.HashMap<>();
                    for (ConsumerRecord<String, byte[]> r : records) {
                        producer.send(new ProducerRecord<>(PASS_OUT, r.key(), r.value()));
                        offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                        moved++;
                    }
                    producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                    producer.commitTransaction();
                }
            }, "bench-passthrough");
            pump.start();
            double rate = counter.rate(events, Duration.ofMinutes(10));
            pump.join(10_000);
            return rate;
        }
    }

    /** Counts the committed records on one topic; the rate is taken from the first to the last one seen. */
    private static final class Counter implements AutoCloseable {
        private final KafkaConsumer<String, byte[]> consumer;

        Counter(String bootstrap, String topic) {
            consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                    new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
        }

        double rate(int expected, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            long first = 0;
            long last = 0;
            int seen = 0;
            while (seen < expected) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + seen + " of " + expected + " records arrived within " + timeout);
                }
                int n = consumer.poll(Duration.ofMillis(100)).count();
                if (n > 0) {
                    last = System.nanoTime();
                    if (seen == 0) {
                        first = last;
                    }
                    seen += n;
                }
            }
            return (seen - 1) / ((last - first) / 1e9);
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /** One request at a time, waiting for what it yields on a topic, as a client does. */
    private static final class LatencyProbe implements AutoCloseable {
        private final KafkaProducer<String, byte[]> producer;
        private final KafkaConsumer<String, byte[]> results;
        private final KafkaConsumer<String, byte[]> routed;
        private final String cacheablePrompt = "What is the capital of France? " + UUID.randomUUID();

        LatencyProbe(String bootstrap) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 0,
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
            results = tail(bootstrap, Topics.RESULTS.name());
            // Lone requests, as a client waiting for its answer sends them: the model's interactive lane.
            routed = tail(bootstrap, Topics.interactive(MODEL).name());
        }

        private static KafkaConsumer<String, byte[]> tail(String bootstrap, String topic) {
            KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10),
                    new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(consumer::position);
            return consumer;
        }

        /** Routes the cacheable request and answers it as a worker would, then waits until a copy is answered from the cache. */
        void seedCache() throws Exception {
            RequestEvent seed = request("seed-" + UUID.randomUUID(), cacheablePrompt, 0);
            send(seed);
            awaitKey(routed, null, Duration.ofSeconds(30));
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("id", "chatcmpl-seed").put("object", "chat.completion").put("created", 0).put("model", MODEL);
            body.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop")
                    .putObject("message").put("role", "assistant").put("content", "Paris.");
            body.putObject("usage").put("prompt_tokens", 9).put("completion_tokens", 2).put("total_tokens", 11);
            ResultEvent result = new ResultEvent(seed.requestId(), null, seed.customId(), null, MODEL, 200, body, null, true,
                    System.currentTimeMillis(), null);
            producer.send(new ProducerRecord<>(Topics.RESULTS.name(), seed.requestId(),
                    Topics.RESULT_SERDE.serializer().serialize(Topics.RESULTS.name(), result))).get();
            awaitKey(results, seed.requestId(), Duration.ofSeconds(30));
            // The entry is served once the router's global store has read it; retry until a copy is a hit.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                RequestEvent probe = request("probe-" + UUID.randomUUID(), cacheablePrompt, 0);
                send(probe);
                ConsumerRecord<String, byte[]> answer = awaitKeyOn(List.of(results, routed), probe.requestId(), Duration.ofSeconds(30));
                if (answer.topic().equals(Topics.RESULTS.name())
                        && Topics.RESULT_SERDE.deserializer().deserialize(answer.topic(), answer.value()).cached()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the router never answered the seeded request from its cache");
                }
                Thread.sleep(50);
            }
        }

        List<Long> hits(int n) throws Exception {
            List<Long> ms = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                RequestEvent r = request("hit-" + UUID.randomUUID(), cacheablePrompt, 0);
                long start = System.nanoTime();
                send(r);
                ConsumerRecord<String, byte[]> answer = awaitKey(results, r.requestId(), Duration.ofSeconds(30));
                ms.add((System.nanoTime() - start) / 1_000_000);
                if (!Topics.RESULT_SERDE.deserializer().deserialize(answer.topic(), answer.value()).cached()) {
                    throw new IllegalStateException("request " + r.requestId() + " was not answered from the cache");
                }
            }
            return ms;
        }

        /**
         * The hop of an interactive request sent right behind a burst of {@code burst} batch lines: the
         * router reads each partition of millrace.requests in order, so the request waits until the
         * lines ahead of it in its partition are routed. Each of the {@code n} requests follows a fresh
         * burst, sent without waiting, as ingest publishes a file.
         */
        List<Long> behindBursts(int n, int burst) throws Exception {
            List<Long> ms = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < burst; j++) {
                    String id = "burst-" + i + "-" + j;
                    producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), id, Topics.REQUEST_SERDE.serializer().serialize(
                            Topics.REQUESTS.name(), request(id, "Line " + j, 0.7).withPriority(RequestEvent.BATCH))));
                }
                RequestEvent r = request("lone-" + UUID.randomUUID(), "Unique " + UUID.randomUUID(), 0.7);
                long start = System.nanoTime();
                send(r);
                awaitKeyOn(List.of(routed), r.requestId(), Duration.ofSeconds(60));
                ms.add((System.nanoTime() - start) / 1_000_000);
                Thread.sleep(500); // the burst's tail drains before the next one
            }
            return ms;
        }

        List<Long> misses(int n) throws Exception {
            List<Long> ms = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                RequestEvent r = request("miss-" + UUID.randomUUID(), "Unique " + UUID.randomUUID(), 0.7);
                long start = System.nanoTime();
                send(r);
                awaitKeyOn(List.of(routed), r.requestId(), Duration.ofSeconds(30));
                ms.add((System.nanoTime() - start) / 1_000_000);
            }
            return ms;
        }

        private void send(RequestEvent r) throws Exception {
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), r.requestId(),
                    Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(), r))).get();
        }

        /** The next record of {@code consumer} whose key is {@code key} (any record when null). */
        private static ConsumerRecord<String, byte[]> awaitKey(KafkaConsumer<String, byte[]> consumer, String key, Duration timeout) {
            return awaitKeyOn(List.of(consumer), key, timeout);
        }

        /**
         * Routed events are keyed by conversation, so those are matched on the request id in the
         * value; results are keyed by request id.
         */
        private static ConsumerRecord<String, byte[]> awaitKeyOn(List<KafkaConsumer<String, byte[]>> consumers, String requestId,
                Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (KafkaConsumer<String, byte[]> consumer : consumers) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(1))) {
                        if (requestId == null || requestId.equals(r.key()) || requestIdOf(r).equals(requestId)) {
                            return r;
                        }
                    }
                }
            }
            throw new IllegalStateException("no record for " + requestId + " within " + timeout);
        }

        private static String requestIdOf(ConsumerRecord<String, byte[]> r) {
            if (r.topic().equals(Topics.RESULTS.name())) {
                return r.key();
            }
            return Topics.REQUEST_SERDE.deserializer().deserialize(r.topic(), r.value()).requestId();
        }

        @Override
        public void close() {
            producer.close();
            results.close();
            routed.close();
        }
    }

    private static long pct(List<Long> values, int p) {
        List<Long> v = new ArrayList<>(values);
        Collections.sort(v);
        return v.get(Math.min(v.size() - 1, (int) Math.ceil(p / 100.0 * v.size()) - 1));
    }
}
