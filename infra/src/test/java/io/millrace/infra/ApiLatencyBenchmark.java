package io.millrace.infra;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The synchronous path's latency (docs/BENCHMARKS.md; run by benchmarks/api-latency.sh): p50/p99
 * end-to-end latency of {@code max_tokens: 1} chat requests through the official OpenAI Java SDK
 * against an in-process {@code serve} (exactly-once on, built-in model), and the pipeline's
 * overhead over the worker's own generation time ({@code x-millrace-generation-ms}), at 1 and at
 * 16 concurrent clients, and the time to the first streamed chunk. Baseline in the same run: a plain Kafka client producing the same request
 * to millrace.requests and reading its committed result (what a client without the HTTP API does).
 *
 * <p>usage: ApiLatencyBenchmark WORK_DIR [--requests 60] [--concurrent-requests 160] [--out FILE.json]
 */
public final class ApiLatencyBenchmark {
    /** queueMs: from submission until the worker started it (the router's hop and the worker's poll). */
    private record Sample(long latencyMs, long generationMs, long queueMs) {
        long overheadMs() {
            return Math.max(0, latencyMs - generationMs);
        }
    }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int requests = 60;
        int concurrentRequests = 160;
        Path out = null;
        Map<String, Object> workerSettings = new java.util.HashMap<>();
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--set" -> {
                    String[] kv = args[++i].split("=", 2);
                    workerSettings.put(kv[0], kv[1]);
                }
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--concurrent-requests" -> concurrentRequests = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Files.createDirectories(work);
        try (TestKafka kafka = TestKafka.start(work.resolve("broker"));
                Deployment serve = Deployment.start(new Settings(kafka.bootstrapServers(), work, 0, 0, List.of(),
                        "latency-bench", -1, workerSettings), EnumSet.allOf(Role.class));
                KafkaClient viaKafka = new KafkaClient(kafka.bootstrapServers())) {
            serve.awaitRunning(Duration.ofSeconds(120));
            OpenAIClient sdk = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + serve.api().orElseThrow().httpPort() + "/v1")
                    .apiKey("unused").maxRetries(0).maxIdleConnections(32).keepAliveDuration(Duration.ofMinutes(5)).build();
            System.err.println("warming up");
            run(20, 1, () -> http(sdk));
            run(20, 1, viaKafka::call);

            Map<String, List<Sample>> results = new java.util.LinkedHashMap<>();
            results.put("kafka, 1 client", run(requests, 1, viaKafka::call));
            results.put("http, 1 client", run(requests, 1, () -> http(sdk)));
            results.put("kafka, 16 clients", run(concurrentRequests, 16, viaKafka::call));
            results.put("http, 16 clients", run(concurrentRequests, 16, () -> http(sdk)));
            // Streamed: "latency" is the time to the first chunk with text (SSE time to first chunk).
            results.put("sse first chunk, 1", run(requests, 1, () -> firstChunk(sdk)));

            StringBuilder json = new StringBuilder("{\"date\":\"" + Instant.now() + "\",\"cpus\":"
                    + Runtime.getRuntime().availableProcessors() + ",\"runs\":{");
            System.out.printf("%-18s %8s %8s %8s %8s %8s %10s %10s%n", "path", "n", "p50 ms", "p99 ms", "ovh p50", "ovh p99", "gen p50",
                    "queue p50");
            boolean first = true;
            for (var e : results.entrySet()) {
                List<Sample> s = e.getValue();
                long p50 = pct(s, 50, Sample::latencyMs);
                long p99 = pct(s, 99, Sample::latencyMs);
                long o50 = pct(s, 50, Sample::overheadMs);
                long o99 = pct(s, 99, Sample::overheadMs);
                long g50 = pct(s, 50, Sample::generationMs);
                long q50 = pct(s, 50, Sample::queueMs);
                System.out.printf("%-18s %8d %8d %8d %8d %8d %10d %10d%n", e.getKey(), s.size(), p50, p99, o50, o99, g50, q50);
                json.append(first ? "" : ",").append(String.format(
                        "\"%s\":{\"n\":%d,\"p50_ms\":%d,\"p99_ms\":%d,\"overhead_p50_ms\":%d,\"overhead_p99_ms\":%d,"
                                + "\"generation_p50_ms\":%d,\"queue_p50_ms\":%d}",
                        e.getKey(), s.size(), p50, p99, o50, o99, g50, q50));
                first = false;
            }
            json.append("}}\n");
            for (String clients : List.of("1 client", "16 clients")) {
                System.out.printf("http / kafka overhead p50, %s: x%.2f%n", clients,
                        (double) pct(results.get("http, " + clients), 50, Sample::overheadMs)
                                / Math.max(1, pct(results.get("kafka, " + clients), 50, Sample::overheadMs)));
            }
            if (out != null) {
                Files.writeString(out, json);
                System.err.println("wrote " + out);
            }
        }
        System.exit(0); // the SDK's OkHttp threads would keep the JVM up for a minute
    }

    private static Sample http(OpenAIClient sdk) {
        long start = System.nanoTime();
        HttpResponseFor<ChatCompletion> r = sdk.chat().completions().withRawResponse().create(ChatCompletionCreateParams.builder()
                .model("millrace-tiny").addUserMessage("Ping " + UUID.randomUUID()).maxCompletionTokens(1).temperature(0.0).build());
        r.parse();
        long latency = (System.nanoTime() - start) / 1_000_000;
        long generation = r.headers().values("x-millrace-generation-ms").stream().findFirst().map(Long::parseLong).orElse(0L);
        long queue = r.headers().values("x-millrace-queue-ms").stream().findFirst().map(Long::parseLong).orElse(0L);
        return new Sample(latency, generation, queue);
    }

    private static Sample firstChunk(OpenAIClient sdk) {
        long start = System.nanoTime();
        long first = -1;
        try (var stream = sdk.chat().completions().createStreaming(ChatCompletionCreateParams.builder().model("millrace-tiny")
                .addUserMessage("Ping " + UUID.randomUUID()).maxCompletionTokens(8).temperature(0.0).build())) {
            for (var it = stream.stream().iterator(); it.hasNext(); ) {
                var chunk = it.next();
                if (first < 0 && chunk.choices().stream().anyMatch(c -> c.delta().content().filter(t -> !t.isEmpty()).isPresent())) {
                    first = (System.nanoTime() - start) / 1_000_000;
                }
            }
        }
        return new Sample(first, 0, 0);
    }

    private static List<Sample> run(int n, int clients, java.util.concurrent.Callable<Sample> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Sample>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(call));
            }
            List<Sample> samples = new ArrayList<>();
            for (Future<Sample> f : futures) {
                samples.add(f.get(120, TimeUnit.SECONDS));
            }
            return samples;
        } finally {
            pool.shutdownNow();
        }
    }

    private static long pct(List<Sample> samples, int p, java.util.function.ToLongFunction<Sample> f) {
        List<Long> v = new ArrayList<>(samples.stream().map(f::applyAsLong).toList());
        Collections.sort(v);
        return v.get(Math.min(v.size() - 1, (int) Math.ceil(p / 100.0 * v.size()) - 1));
    }

    /** The baseline: produce a request event, wait for its committed result, as any Kafka client can. */
    private static final class KafkaClient implements AutoCloseable {
        private final KafkaProducer<String, byte[]> producer;
        private final KafkaConsumer<String, byte[]> consumer;
        private final Map<String, CompletableFuture<ResultEvent>> waiting = new ConcurrentHashMap<>();
        private final Thread thread;
        private volatile boolean running = true;

        KafkaClient(String bootstrap) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.LINGER_MS_CONFIG, 0,
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer());
            consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50),
                    new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> parts = consumer.partitionsFor(Topics.RESULTS.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(consumer::position);
            thread = new Thread(() -> {
                while (running) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                        CompletableFuture<ResultEvent> f = waiting.remove(r.key());
                        if (f != null) {
                            f.complete(Topics.RESULT_SERDE.deserializer().deserialize(r.topic(), r.value()));
                        }
                    }
                }
                consumer.close();
            }, "bench-kafka-client");
            thread.start();
        }

        Sample call() throws Exception {
            String id = "bench-" + UUID.randomUUID();
            CompletableFuture<ResultEvent> result = new CompletableFuture<>();
            waiting.put(id, result);
            RequestEvent request = new RequestEvent(id, null, id, null, "POST", "/v1/chat/completions", Json.MAPPER.readTree(
                    "{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Ping " + id + "\"}],"
                            + "\"max_tokens\":1,\"temperature\":0}"), null, System.currentTimeMillis());
            long start = System.nanoTime();
            producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), id, Topics.REQUEST_SERDE.serializer().serialize("x", request)));
            ResultEvent r = result.get(120, TimeUnit.SECONDS);
            long latency = (System.nanoTime() - start) / 1_000_000;
            boolean timed = r.timings() != null;
            return new Sample(latency, timed && r.timings().generationMs() != null ? r.timings().generationMs() : 0,
                    timed && r.timings().queueMs() != null ? r.timings().queueMs() : 0);
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
            producer.close();
        }
    }
}
