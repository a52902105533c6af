package io.millrace.infra;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
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
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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
 * Priority lanes (docs/BENCHMARKS.md; run by benchmarks/interactive-ttft.sh): an interactive
 * request's time to first token (the first streamed chunk with text, through the OpenAI Java SDK,
 * as a client sees it) on an idle in-process {@code serve}, then the same while a batch of
 * {@code --lines} lines (5,000 by default) runs on the same worker, and the ratio of the medians
 * (target at most 2). The batch is produced to millrace.requests as ingest publishes a file's lines;
 * the loaded requests start only once batch results are being committed, and the run says how many
 * lines were answered while they ran, so a batch that finished early would show.
 *
 * <p>usage: LaneLatencyBenchmark WORK_DIR [--lines 5000] [--requests 30] [--batch-tokens 64] [--out FILE.json] [--set K=V]
 */
public final class LaneLatencyBenchmark {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        int lines = 5_000;
        int requests = 30;
        int batchTokens = 64;
        Path out = null;
        Map<String, Object> settings = new java.util.HashMap<>(Map.of("cache.enabled", "false"));
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--lines" -> lines = Integer.parseInt(args[++i]);
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--batch-tokens" -> batchTokens = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--set" -> {
                    String[] kv = args[++i].split("=", 2);
                    settings.put(kv[0], kv[1]);
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Files.createDirectories(work);
        try (TestKafka kafka = TestKafka.start(work.resolve("broker"));
                Deployment serve = Deployment.start(new Settings(kafka.bootstrapServers(), work, 0, 0, List.of(),
                        "lanes-bench", -1, settings), EnumSet.allOf(Role.class));
                BatchWatch batch = new BatchWatch(kafka.bootstrapServers())) {
            serve.awaitRunning(Duration.ofSeconds(120));
            OpenAIClient sdk = OpenAIOkHttpClient.builder().baseUrl("http://localhost:" + serve.api().orElseThrow().httpPort() + "/v1")
                    .apiKey("unused").maxRetries(0).build();
            System.err.println("warming up");
            for (int i = 0; i < 10; i++) {
                firstTokenMs(sdk);
            }
            // A small batch first, so that the router has written every partition of the batch path
            // before anything is measured: its first transaction on a partition can be refused by the
            // broker (OutOfOrderSequenceException, transactions v2) and Kafka Streams then recovers by
            // a rebalance, seconds that would be measured as the lane's delay (docs/BENCHMARKS.md).
            batch.submit("lanes-warm-" + UUID.randomUUID(), 60, 1);
            long warmUntil = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (batch.answered() < 60 && System.nanoTime() < warmUntil) {
                Thread.sleep(50);
            }
            List<Long> idle = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                idle.add(firstTokenMs(sdk));
            }

            String batchId = "lanes-bench-" + UUID.randomUUID();
            System.err.printf("submitting a batch of %d lines x %d tokens%n", lines, batchTokens);
            batch.submit(batchId, lines, batchTokens);
            long waitUntil = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            while (batch.answered() < Math.min(50, lines / 10) && System.nanoTime() < waitUntil) {
                Thread.sleep(50);
            }
            int doneBefore = batch.answered();
            List<Long> loaded = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                loaded.add(firstTokenMs(sdk));
            }
            int doneAfter = batch.answered();

            long idleP50 = pct(idle, 50);
            long loadedP50 = pct(loaded, 50);
            double ratio = (double) loadedP50 / Math.max(1, idleP50);
            System.out.printf("%-34s %6s %8s %8s %8s%n", "interactive time to first token", "n", "p50 ms", "p90 ms", "max ms");
            System.out.printf("%-34s %6d %8d %8d %8d%n", "idle worker", idle.size(), idleP50, pct(idle, 90), pct(idle, 100));
            System.out.printf("%-34s %6d %8d %8d %8d%n", "while a " + lines + "-line batch runs", loaded.size(), loadedP50,
                    pct(loaded, 90), pct(loaded, 100));
            System.out.printf("batch lines answered: %d when the loaded requests began, %d when they ended (of %d)%s%n",
                    doneBefore, doneAfter, lines, doneAfter >= lines ? ": THE BATCH ENDED FIRST, the figure is not under load" : "");
            System.out.printf("ratio loaded / idle p50: x%.2f (target <= 2)%n", ratio);
            if (out != null) {
                Files.writeString(out, String.format("{\"date\":\"%s\",\"cpus\":%d,\"lines\":%d,\"batch_tokens\":%d,\"requests\":%d,"
                        + "\"idle_p50_ms\":%d,\"idle_p90_ms\":%d,\"loaded_p50_ms\":%d,\"loaded_p90_ms\":%d,\"ratio_p50\":%.3f,"
                        + "\"batch_answered_before\":%d,\"batch_answered_after\":%d}%n", Instant.now(),
                        Runtime.getRuntime().availableProcessors(), lines, batchTokens, requests, idleP50, pct(idle, 90), loadedP50,
                        pct(loaded, 90), ratio, doneBefore, doneAfter));
                System.err.println("wrote " + out);
            }
        }
        System.exit(0); // the SDK's OkHttp threads would keep the JVM up for a minute
    }

    /** A streamed chat request; the time to its first chunk with text. */
    private static long firstTokenMs(OpenAIClient sdk) {
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
        if (first < 0) {
            throw new IllegalStateException("a streamed answer had no text");
        }
        return first;
    }

    private static long pct(List<Long> values, int p) {
        List<Long> v = new ArrayList<>(values);
        Collections.sort(v);
        return v.get(Math.max(0, Math.min(v.size() - 1, (int) Math.ceil(p / 100.0 * v.size()) - 1)));
    }

    /** Produces the batch's lines and counts its committed results as they come. */
    private static final class BatchWatch implements AutoCloseable {
        private final KafkaProducer<String, byte[]> producer;
        private final AtomicInteger answered = new AtomicInteger();
        private final Thread thread;
        private volatile String batchPrefix = "\u0000";
        private volatile boolean running = true;

        BatchWatch(String bootstrap) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                    ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer());
            KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> parts = consumer.partitionsFor(Topics.RESULTS.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToEnd(parts);
            parts.forEach(consumer::position);
            thread = new Thread(() -> {
                while (running) {
                    consumer.poll(Duration.ofMillis(100)).forEach(r -> {
                        if (r.key().startsWith(batchPrefix)) {
                            answered.incrementAndGet();
                        }
                    });
                }
                consumer.close();
            }, "bench-batch-watch");
            thread.start();
        }

        /** Publishes a batch's lines and counts its results from now on (not those of an earlier batch). */
        void submit(String batchId, int lines, int maxTokens) throws Exception {
            batchPrefix = batchId + ":";
            answered.set(0);
            for (int i = 0; i < lines; i++) {
                String id = batchId + ":line-" + i;
                RequestEvent r = new RequestEvent(id, batchId, "line-" + i, (long) i + 1, "POST", "/v1/chat/completions",
                        Json.parse("{\"model\":\"millrace-tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Line " + i
                                + " of the batch: tell me about the mill, the river and the wheel.\"}],\"max_tokens\":" + maxTokens
                                + ",\"temperature\":0}"), null, System.currentTimeMillis());
                producer.send(new ProducerRecord<>(Topics.REQUESTS.name(), id, Topics.REQUEST_SERDE.serializer().serialize("x", r)));
            }
            producer.flush();
        }

        int answered() {
            return answered.get();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
            producer.close();
        }
    }
}
