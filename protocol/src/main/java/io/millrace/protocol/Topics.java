package io.millrace.protocol;

import io.millrace.protocol.events.ApiKeyEvent;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.CacheEntry;
import io.millrace.protocol.events.CancelEvent;
import io.millrace.protocol.events.DeltaEvent;
import io.millrace.protocol.events.FileEvent;
import io.millrace.protocol.events.HealthEvent;
import io.millrace.protocol.events.QuotaUsage;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.WebhookAttempt;
import io.millrace.protocol.events.WebhookDelivery;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.protocol.events.WebhookEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The registry of every topic of the pipeline. Keys are request ids (or batch ids for
 * {@link #BATCHES}), so every event about one request lands on the same partition number in every
 * topic with the same partition count, which the router's dedup store relies on.
 */
public final class Topics {
    public static final String PREFIX = "millrace.";
    /** Partitions of the request, generation and result topics; retry topics must match it. */
    public static final int REQUEST_PARTITIONS = 6;

    private static final String WEEK_MS = Long.toString(7L * 24 * 3600 * 1000);
    private static final String MONTH_MS = Long.toString(30L * 24 * 3600 * 1000);
    private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");

    public static final Serde<String> KEYS = Serdes.String();
    public static final JsonSerde<RequestEvent> REQUEST_SERDE = new JsonSerde<>(RequestEvent.class);
    public static final JsonSerde<ResultEvent> RESULT_SERDE = new JsonSerde<>(ResultEvent.class);
    public static final JsonSerde<BatchEvent> BATCH_SERDE = new JsonSerde<>(BatchEvent.class);
    public static final JsonSerde<ApiKeyEvent> API_KEY_SERDE = new JsonSerde<>(ApiKeyEvent.class);
    public static final JsonSerde<DeltaEvent> DELTA_SERDE = new JsonSerde<>(DeltaEvent.class);
    public static final JsonSerde<CancelEvent> CANCEL_SERDE = new JsonSerde<>(CancelEvent.class);
    public static final JsonSerde<FileEvent> FILE_SERDE = new JsonSerde<>(FileEvent.class);
    public static final JsonSerde<CacheEntry> CACHE_SERDE = new JsonSerde<>(CacheEntry.class);
    public static final JsonSerde<HealthEvent> HEALTH_SERDE = new JsonSerde<>(HealthEvent.class);
    public static final JsonSerde<QuotaUsage> QUOTA_USAGE_SERDE = new JsonSerde<>(QuotaUsage.class);
    public static final JsonSerde<WebhookEndpoint> WEBHOOK_ENDPOINT_SERDE = new JsonSerde<>(WebhookEndpoint.class);
    public static final JsonSerde<WebhookEvent> WEBHOOK_EVENT_SERDE = new JsonSerde<>(WebhookEvent.class);
    public static final JsonSerde<WebhookDelivery> WEBHOOK_DELIVERY_SERDE = new JsonSerde<>(WebhookDelivery.class);
    public static final JsonSerde<WebhookAttempt> WEBHOOK_ATTEMPT_SERDE = new JsonSerde<>(WebhookAttempt.class);

    /** Requests from every entry point, keyed by request id. Any Kafka client may produce here. */
    public static final Topic<String, RequestEvent> REQUESTS = new Topic<>(PREFIX + "requests", KEYS, REQUEST_SERDE,
            REQUEST_PARTITIONS, Map.of("cleanup.policy", "delete", "retention.ms", WEEK_MS));

    /**
     * Records on {@link #REQUESTS} that cannot be answered at all (no key to answer under) or that
     * the router failed on (its Streams exception handlers), kept as the raw bytes that arrived so
     * an operator can see what was sent, with the reason in {@link Headers#DLT_REASON}.
     */
    public static final Topic<byte[], byte[]> REQUESTS_DLT = new Topic<>(PREFIX + "requests-dlt", Serdes.ByteArray(),
            Serdes.ByteArray(), 1, Map.of("cleanup.policy", "delete", "retention.ms", WEEK_MS));

    /**
     * One result per request id, success or error. Compacted: the latest result per request is
     * kept forever, which is what lets a re-run of the same batch return stored results.
     */
    public static final Topic<String, ResultEvent> RESULTS = new Topic<>(PREFIX + "results", KEYS, RESULT_SERDE,
            REQUEST_PARTITIONS, Map.of("cleanup.policy", "compact"));

    /** One record per submitted batch (its size and origin), keyed by batch id; compacted. */
    public static final Topic<String, BatchEvent> BATCHES = new Topic<>(PREFIX + "batches", KEYS, BATCH_SERDE,
            3, Map.of("cleanup.policy", "compact"));

    /**
     * API keys (hashes only) and their tenants and limits, keyed by key id; compacted. One
     * partition: every API instance reads all of it, and it is small.
     */
    public static final Topic<String, ApiKeyEvent> API_KEYS = new Topic<>(PREFIX + "api-keys", KEYS, API_KEY_SERDE,
            1, Map.of("cleanup.policy", "compact"));

    /**
     * Files uploaded through {@code POST /v1/files}: one {@link FileEvent} per file id, the file's
     * metadata and where its chunks are; compacted, a delete is a tombstone.
     */
    public static final Topic<String, FileEvent> FILES = new Topic<>(PREFIX + "files", KEYS, FILE_SERDE,
            3, Map.of("cleanup.policy", "compact"));

    /**
     * The bytes of those files, in chunks of whole lines of at most {@code FILE_CHUNK_BYTES}, keyed
     * {@code <file id>/<chunk index>} and all of one file on one partition (chosen by the writer),
     * so a reader seeks to the offsets the file event lists. Compacted, never expired: a file is
     * kept until it is deleted, and a delete tombstones each chunk key, so compaction frees its bytes.
     */
    public static final Topic<String, byte[]> FILE_CHUNKS = new Topic<>(PREFIX + "file-chunks", KEYS, Serdes.ByteArray(),
            3, Map.of("cleanup.policy", "compact"));

    /** The largest chunk: well under the producer's 1 MiB request limit, with room for key and headers. */
    public static final int FILE_CHUNK_BYTES = 512 * 1024;

    /**
     * Text deltas of streamed requests ({@code stream: true}), keyed by request id, written by
     * workers as they generate and read by the API instance that holds the client's connection.
     * A live preview only: kept an hour, and the committed result is the answer.
     */
    public static final Topic<String, DeltaEvent> STREAM = new Topic<>(PREFIX + "stream", KEYS, DELTA_SERDE,
            REQUEST_PARTITIONS, Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(3600L * 1000)));

    /**
     * Lone requests whose clients gave up (a streamed answer's client disconnected), keyed by
     * request id; every worker reads all of it. Kept a day: a cancel matters only while its request
     * may still be queued or running.
     */
    public static final Topic<String, CancelEvent> CANCELS = new Topic<>(PREFIX + "cancels", KEYS, CANCEL_SERDE,
            1, Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(24L * 3600 * 1000)));

    /** The longest a cached response may live: {@link #RESPONSE_CACHE}'s retention, which bounds the topic. */
    public static final long RESPONSE_CACHE_MAX_TTL_MS = 7L * 24 * 3600 * 1000;

    /**
     * The router's response cache: one {@link CacheEntry} per cache key, written by the router in its
     * transaction and read whole by every router instance (a global store), so a cached answer
     * survives restarts and is shared. Compacted (the latest entry per key) and deleted after a week,
     * the longest TTL allowed, so the topic stays bounded whatever keys come and go.
     */
    public static final Topic<String, CacheEntry> RESPONSE_CACHE = new Topic<>(PREFIX + "response-cache", KEYS, CACHE_SERDE,
            3, Map.of("cleanup.policy", "compact,delete", "retention.ms", WEEK_MS));

    /**
     * Workers' heartbeats per model ({@link HealthEvent}: live, load, failures), keyed by model, written
     * outside transactions every few seconds and on failures. Every router instance reads all of it into
     * a global store, so all agree on each model's circuit. One partition: it is small, and one
     * partition keeps a model's reports in the order they were written. Kept an hour: a router that
     * starts reads back at most that much to rebuild the circuits; older reports say nothing about now.
     */
    public static final Topic<String, HealthEvent> HEALTH = new Topic<>(PREFIX + "health", KEYS, HEALTH_SERDE,
            1, Map.of("cleanup.policy", "delete", "retention.ms", Long.toString(3600L * 1000)));

    /**
     * Tokens charged per tenant per quota window by each router task ({@link QuotaUsage}, keyed
     * {@code <partition>:<tenant>}), written by the router in its transactions and read whole by every
     * router instance (a global store), so that a tenant's quota holds across the tasks that share its
     * requests. Compacted (the latest entry per task and tenant) and deleted after two days: only the
     * current day's window counts.
     */
    public static final Topic<String, QuotaUsage> QUOTA_USAGE = new Topic<>(PREFIX + "quota-usage", KEYS, QUOTA_USAGE_SERDE,
            1, Map.of("cleanup.policy", "compact,delete", "retention.ms", Long.toString(2L * 24 * 3600 * 1000)));

    /**
     * Webhook endpoints ({@link WebhookEndpoint}), keyed by endpoint id; compacted, a delete is a
     * tombstone. They hold the signing secrets in the clear (the dispatcher signs with them), so
     * only the API and the webhooks role should be granted read access (Kafka ACLs on a cluster).
     * One partition: every API instance and every dispatcher reads all of it, and it is small.
     */
    public static final Topic<String, WebhookEndpoint> WEBHOOK_ENDPOINTS = new Topic<>(PREFIX + "webhook-endpoints", KEYS,
            WEBHOOK_ENDPOINT_SERDE, 1, Map.of("cleanup.policy", "compact"));

    /**
     * Events for webhooks ({@link WebhookEvent}), keyed by event id, each derived exactly once from
     * a batch state change or a committed result by the webhooks role's topology. Kept a month: the
     * delivery log and replays refer to them.
     */
    public static final Topic<String, WebhookEvent> WEBHOOK_EVENTS = new Topic<>(PREFIX + "webhook-events", KEYS,
            WEBHOOK_EVENT_SERDE, 3, Map.of("cleanup.policy", "delete", "retention.ms", MONTH_MS));

    /**
     * Where capture ({@code cdc} role) keeps how far it has read the database's change stream: Kafka
     * Connect offsets written by Debezium's embedded engine (its KafkaOffsetBackingStore), so a
     * restarted or moved capture resumes where the last one stopped. Compacted, one partition, as
     * Connect requires; its keys and values are Connect's own JSON.
     */
    public static final Topic<byte[], byte[]> CDC_OFFSETS = new Topic<>(PREFIX + "cdc-offsets", Serdes.ByteArray(),
            Serdes.ByteArray(), 1, Map.of("cleanup.policy", "compact"));

    /** Partitions of the delivery topic; its retry tiers and dead-letter topic must match it. */
    public static final int WEBHOOK_DELIVERY_PARTITIONS = 6;

    /**
     * Each event owed to each subscribed endpoint ({@link WebhookDelivery}), keyed by endpoint id:
     * the first attempt. Retries wait on {@link #webhookRetry}, the last failure lands on
     * {@link #WEBHOOK_DELIVERIES_DLT}.
     */
    public static final Topic<String, WebhookDelivery> WEBHOOK_DELIVERIES = new Topic<>(PREFIX + "webhook-deliveries", KEYS,
            WEBHOOK_DELIVERY_SERDE, WEBHOOK_DELIVERY_PARTITIONS, Map.of("cleanup.policy", "delete", "retention.ms", WEEK_MS));

    /**
     * Deliveries that failed on every attempt, in spring-kafka's naming ({@code <topic>-dlt}); kept a
     * month, which is how far back {@code webhooks replay} reaches.
     */
    public static final Topic<String, WebhookDelivery> WEBHOOK_DELIVERIES_DLT = new Topic<>(
            WEBHOOK_DELIVERIES.name() + "-dlt", KEYS, WEBHOOK_DELIVERY_SERDE, WEBHOOK_DELIVERY_PARTITIONS,
            Map.of("cleanup.policy", "delete", "retention.ms", MONTH_MS));

    /** The delivery log ({@link WebhookAttempt}), keyed by endpoint id; kept a month. */
    public static final Topic<String, WebhookAttempt> WEBHOOK_ATTEMPTS = new Topic<>(PREFIX + "webhook-attempts", KEYS,
            WEBHOOK_ATTEMPT_SERDE, 3, Map.of("cleanup.policy", "delete", "retention.ms", MONTH_MS));

    /**
     * Standard Webhooks' retry schedule after the immediate first attempt: 5 s, 5 min, 30 min, 2 h,
     * 5 h, 10 h, 14 h, 20 h, 24 h ({@code webhooks.retry.delays} overrides it).
     */
    public static final List<Long> DEFAULT_WEBHOOK_RETRY_DELAYS_MS = List.of(5_000L, 300_000L, 1_800_000L, 7_200_000L,
            18_000_000L, 36_000_000L, 50_400_000L, 72_000_000L, 86_400_000L);

    /**
     * The retry tier of webhook deliveries for one delay, {@code millrace.webhook-deliveries-retry-<delayMs>}
     * (spring-kafka's naming), with the delivery topic's partitions. Kept a week: longer than any delay.
     */
    public static Topic<String, WebhookDelivery> webhookRetry(long delayMs) {
        if (delayMs < 1) {
            throw new IllegalArgumentException("a webhook retry delay must be at least 1 ms, not " + delayMs);
        }
        return new Topic<>(WEBHOOK_DELIVERIES.name() + "-retry-" + delayMs, KEYS, WEBHOOK_DELIVERY_SERDE,
                WEBHOOK_DELIVERY_PARTITIONS, WEBHOOK_DELIVERIES.configs());
    }

    /** The webhook topics of a deployment with these retry delays (ms). */
    public static List<Topic<?, ?>> webhooks(List<Long> retryDelaysMs) {
        List<Topic<?, ?>> topics = new ArrayList<>(List.of(WEBHOOK_ENDPOINTS, WEBHOOK_EVENTS, WEBHOOK_DELIVERIES,
                WEBHOOK_DELIVERIES_DLT, WEBHOOK_ATTEMPTS));
        retryDelaysMs.forEach(d -> topics.add(webhookRetry(d)));
        return topics;
    }

    /**
     * The retry tiers a deployment has unless configured otherwise ({@code worker.retry.delays}):
     * one retry topic per delay, in milliseconds.
     */
    public static final List<Long> DEFAULT_RETRY_DELAYS_MS = List.of(1_000L, 10_000L, 60_000L);

    /** How retry and dead-letter topics of a model end: spring-kafka's naming. */
    private static final Pattern RETRY_SUFFIX = Pattern.compile(".*-retry-[0-9]+");
    private static final String DLT_SUFFIX = "-dlt";
    /** How a model's interactive lane ends: {@code millrace.gen.<model>.interactive}. */
    private static final String INTERACTIVE_SUFFIX = ".interactive";

    private Topics() {}

    /** The generation topic a model's workers consume: validated, deduplicated, routed requests. */
    public static Topic<String, RequestEvent> generation(String model) {
        if (model == null || !MODEL_NAME.matcher(model).matches()) {
            throw new IllegalArgumentException("model name '" + model
                    + "' cannot name a topic: use letters, digits, '.', '_' or '-' (at most 200)");
        }
        if (RETRY_SUFFIX.matcher(model).matches() || model.endsWith(DLT_SUFFIX)) {
            throw new IllegalArgumentException("model name '" + model + "' ends like a retry or dead-letter topic"
                    + " (-retry-<ms> or -dlt), so its topic would collide with another model's: rename it");
        }
        if (model.endsWith(INTERACTIVE_SUFFIX)) {
            throw new IllegalArgumentException("model name '" + model + "' ends like an interactive lane (" + INTERACTIVE_SUFFIX
                    + "), so its topic would collide with another model's lane: rename it");
        }
        return new Topic<>(PREFIX + "gen." + model, KEYS, REQUEST_SERDE, REQUEST_PARTITIONS,
                Map.of("cleanup.policy", "delete", "retention.ms", WEEK_MS));
    }

    /**
     * A model's interactive lane, {@code millrace.gen.<model>.interactive}: the routed requests a
     * client is waiting for ({@link RequestEvent#interactive()}), apart from the batch work on
     * {@link #generation}, so that the model's workers can take them first (they consume both, and
     * never let batch work fill the capacity an interactive request needs). Keyed and configured as
     * the generation topic.
     */
    public static Topic<String, RequestEvent> interactive(String model) {
        Topic<String, RequestEvent> gen = generation(model);
        return new Topic<>(gen.name() + INTERACTIVE_SUFFIX, KEYS, REQUEST_SERDE, REQUEST_PARTITIONS, gen.configs());
    }

    /** Whether this topic name is a model's interactive lane. */
    public static boolean isInteractive(String topic) {
        return topic.startsWith(PREFIX + "gen.") && topic.endsWith(INTERACTIVE_SUFFIX);
    }

    /**
     * A model's retry topic for one delay tier, {@code millrace.gen.<model>-retry-<delayMs>}
     * (spring-kafka's naming): requests whose generation failed for a retriable reason, each with
     * the time it is due in {@link Headers#RETRY_DUE}; the model's workers consume it beside the
     * generation topic and never take a record before it is due.
     */
    public static Topic<String, RequestEvent> retry(String model, long delayMs) {
        if (delayMs < 1) {
            throw new IllegalArgumentException("a retry delay must be at least 1 ms, not " + delayMs);
        }
        Topic<String, RequestEvent> gen = generation(model);
        return new Topic<>(gen.name() + "-retry-" + delayMs, KEYS, REQUEST_SERDE, REQUEST_PARTITIONS, gen.configs());
    }

    /**
     * A model's dead-letter topic, {@code millrace.gen.<model>-dlt}: requests whose generation failed
     * on every retry tier, kept for an operator (each also got a final error result), with the
     * reason in {@link Headers#DLT_REASON}. Nothing consumes it.
     */
    public static Topic<String, RequestEvent> deadLetter(String model) {
        Topic<String, RequestEvent> gen = generation(model);
        return new Topic<>(gen.name() + DLT_SUFFIX, KEYS, REQUEST_SERDE, REQUEST_PARTITIONS, gen.configs());
    }

    /** Whether this topic name is a retry topic of some model. */
    public static boolean isRetry(String topic) {
        return topic.startsWith(PREFIX + "gen.") && RETRY_SUFFIX.matcher(topic).matches();
    }

    /** Every topic a deployment serving these models needs with the default retry tiers, for creation at start. */
    public static List<Topic<?, ?>> all(Collection<String> models) {
        return all(models, DEFAULT_RETRY_DELAYS_MS);
    }

    /** The same with these retry delays (ms): each model's generation, interactive lane, retry and dead-letter topics. */
    public static List<Topic<?, ?>> all(Collection<String> models, List<Long> retryDelaysMs) {
        List<Topic<?, ?>> topics = new ArrayList<>(List.of(REQUESTS, REQUESTS_DLT, RESULTS, BATCHES, API_KEYS, FILES, FILE_CHUNKS, STREAM, CANCELS,
                RESPONSE_CACHE, HEALTH, QUOTA_USAGE, CDC_OFFSETS));
        models.stream().sorted().forEach(m -> {
            topics.add(generation(m));
            topics.add(interactive(m));
            retryDelaysMs.forEach(d -> topics.add(retry(m, d)));
            topics.add(deadLetter(m));
        });
        return topics;
    }
}
