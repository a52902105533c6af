package io.millrace.webhooks;

import io.millrace.protocol.Topic;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.WebhookAttempt;
import io.millrace.protocol.events.WebhookDelivery;
import io.millrace.protocol.events.WebhookEndpoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.BatchAcknowledgingMessageListener;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.support.Acknowledgment;
import org.springframework.util.backoff.FixedBackOff;

/**
 * Delivers webhook events, at least once, with spring-kafka listener containers: one container
 * for {@code millrace.webhook-deliveries} (first attempts) and one per retry tier
 * ({@code millrace.webhook-deliveries-retry-<delayMs>}, spring-kafka's non-blocking retry naming),
 * each with one consumer per partition, in consumer group {@code millrace-webhooks-dispatcher.<topic>}.
 *
 * <p>Guarantees and their limits:
 * <ul>
 *   <li><b>No event lost.</b> A record's offset is committed only after its outcome is written:
 *       the next hop (retry tier or dead-letter topic) and the attempt log, acknowledged by the
 *       broker (idempotent producer, acks=all). A crash at any moment re-reads the uncommitted
 *       records, so an attempt may be repeated (the receiver sees the same {@code webhook-id}) and
 *       a retry may be forwarded twice: at-least-once, never at-most-once. spring-kafka's own
 *       {@code @RetryableTopic} is not used: it forwards outside this ordering guarantee for batch
 *       listeners; its topic naming is kept.</li>
 *   <li><b>A slow endpoint delays others by at most a poll budget.</b> The records of a poll are
 *       attempted concurrently, each call bounded by {@code webhooks.timeout} (15 s); the poll waits
 *       for them at most a third of it (5 s at most), on the delivery topic and on every tier alike.
 *       An attempt still running then counts as failed (its retry written) and goes on in the
 *       background, at most {@link LateAttempts#MAX_PER_ENDPOINT} per endpoint; a late success drops
 *       its retry. A failed one waits on its retry tier, never in front of first attempts.</li>
 *   <li><b>Never early.</b> A tier's consumer does not attempt a record before its {@code due_at}:
 *       it acknowledges what was due, and {@code nack}s the rest to be read again after a sleep
 *       (at most {@link #MAX_WAIT}), one consumer per partition so the wait holds up nothing else.</li>
 * </ul>
 * The endpoint's state (URL, secrets, disabled) is read at each attempt; a deleted endpoint's
 * deliveries are dropped, a disabled one's too (logged as such).
 */
public final class WebhookDispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    /**
     * The prefix of the dispatcher's consumer groups, one per consumed topic (so a tier's members
     * joining or leaving never rebalance another's); not {@code millrace-webhooks}, which is the
     * topology's application id and so its consumer group.
     */
    public static final String GROUP_PREFIX = "millrace-webhooks-dispatcher.";
    /** The longest a consumer sleeps before looking at a not-yet-due record again. */
    static final Duration MAX_WAIT = Duration.ofSeconds(10);
    /** How long an endpoint that did not answer has its new events moved to the first tier unattempted. */
    static final Duration COOLDOWN = Duration.ofSeconds(60);
    /** Records per poll: all attempted at once, so this bounds open connections per partition. */
    static final int MAX_POLL_RECORDS = 100;
    /** The longest a poll waits for its attempts, whatever {@code webhooks.timeout} is. */
    static final Duration MAX_POLL_BUDGET = Duration.ofSeconds(5);

    private final RetryRoute route;
    private final EndpointHealth health = new EndpointHealth(COOLDOWN);
    private final LateAttempts late = new LateAttempts();
    /** How long a poll waits for its attempts: a third of the timeout, at most {@link #MAX_POLL_BUDGET}. */
    private final Duration pollBudget;
    private final DeliveryAttempt attempt;
    private final Function<String, Optional<WebhookEndpoint>> endpoints;
    private final Clock clock;
    private final Duration timeout;
    private final DefaultKafkaProducerFactory<String, byte[]> producerFactory;
    private final KafkaTemplate<String, byte[]> template;
    private final List<ConcurrentMessageListenerContainer<String, byte[]>> containers = new ArrayList<>();
    private final String bootstrapServers;

    /**
     * @param endpoints the current state of an endpoint by id (empty: deleted)
     */
    public WebhookDispatcher(String bootstrapServers, WebhooksConfig config, io.millrace.protocol.webhooks.WebhookUrlGuard guard,
            Function<String, Optional<WebhookEndpoint>> endpoints, Clock clock) {
        this.bootstrapServers = bootstrapServers;
        this.route = new RetryRoute(config.retryDelays());
        this.attempt = new DeliveryAttempt(guard, config.timeout(), clock);
        this.endpoints = endpoints;
        this.clock = clock;
        this.timeout = config.timeout();
        this.pollBudget = pollBudget(config.timeout());
        Map<String, Object> producer = new HashMap<>();
        producer.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        producer.put(ProducerConfig.ACKS_CONFIG, "all");
        producer.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producer.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producerFactory = new DefaultKafkaProducerFactory<>(producer, new StringSerializer(), new ByteArraySerializer());
        this.template = new KafkaTemplate<>(producerFactory);
    }

    static Duration pollBudget(Duration timeout) {
        Duration third = timeout.dividedBy(3);
        return third.compareTo(MAX_POLL_BUDGET) < 0 ? third : MAX_POLL_BUDGET;
    }

    /** Starts one container per consumed topic; returns at once. */
    public synchronized void start() {
        Map<String, Object> consumer = new HashMap<>();
        consumer.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        // Deliveries are written in Streams transactions: an aborted one must never be delivered.
        consumer.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        DefaultKafkaConsumerFactory<String, byte[]> factory = new DefaultKafkaConsumerFactory<>(consumer, new StringDeserializer(),
                new ByteArrayDeserializer());
        for (String topic : route.consumedTopics()) {
            ContainerProperties props = new ContainerProperties(topic);
            props.setGroupId(GROUP_PREFIX + topic);
            props.setAckMode(ContainerProperties.AckMode.MANUAL_IMMEDIATE);
            props.setMessageListener((BatchAcknowledgingMessageListener<String, byte[]>) this::onBatch);
            ConcurrentMessageListenerContainer<String, byte[]> c = new ConcurrentMessageListenerContainer<>(factory, props);
            // One consumer per partition: a partition that waits for a due time or a slow endpoint holds up no other.
            c.setConcurrency(Topics.WEBHOOK_DELIVERY_PARTITIONS);
            c.setBeanName("webhooks-" + topic);
            // A batch whose outcomes cannot be written (broker down) is tried again, forever: its
            // offsets are not committed, so skipping it after some tries would lose its events.
            c.setCommonErrorHandler(new DefaultErrorHandler(new FixedBackOff(1_000L, FixedBackOff.UNLIMITED_ATTEMPTS)));
            c.start();
            containers.add(c);
        }
        log.info("webhook dispatcher consuming {}", route.consumedTopics());
    }

    /**
     * One poll of one partition: the due records attempted together, outcomes written, then the
     * commit. The poll waits for its attempts at most {@link #pollBudget}: an attempt still running
     * then is counted as failed, its retry written, and its call goes on in the background
     * ({@link LateAttempts}); so a slow or dead endpoint costs a poll, on any topic, at most the
     * budget, not a timeout. A first attempt for an endpoint that recently did not answer
     * ({@link EndpointHealth}), or any attempt for one with too many calls in the background, is not
     * made here but moved to the first tier, unattempted and uncounted.
     */
    void onBatch(List<ConsumerRecord<String, byte[]>> records, Acknowledgment ack) {
        long now = clock.millis();
        int due = 0;
        List<Started> attempts = new ArrayList<>();
        List<CompletableFuture<?>> writes = new ArrayList<>();
        Long waitUntil = null;
        for (; due < records.size(); due++) {
            ConsumerRecord<String, byte[]> r = records.get(due);
            WebhookDelivery d = decode(r);
            if (d == null) {
                continue; // logged: nothing can deliver it
            }
            if (d.dueAt() > now) {
                waitUntil = d.dueAt();
                break;
            }
            start(d, attempts, writes);
        }
        waitForAttempts(attempts);
        for (Started a : attempts) {
            writes.add(a.result().isDone() ? answered(a, a.result().join()) : handOff(a));
        }
        awaitAll(writes);
        if (waitUntil != null) {
            long sleep = Math.min(MAX_WAIT.toMillis(), Math.max(1, waitUntil - now));
            ack.nack(due, Duration.ofMillis(sleep));
        } else {
            ack.acknowledge();
        }
    }

    /** An attempt under way. */
    private record Started(WebhookDelivery delivery, WebhookEndpoint endpoint, CompletableFuture<DeliveryAttempt.Result> result) {}

    /** Starts the record's attempt, or adds what is written instead of one. */
    private void start(WebhookDelivery d, List<Started> attempts, List<CompletableFuture<?>> writes) {
        Optional<WebhookEndpoint> found = endpoints.apply(d.endpointId());
        if (found.isEmpty()) {
            log.debug("webhook endpoint {} is deleted: event {} dropped", d.endpointId(), d.event().id());
            return;
        }
        WebhookEndpoint endpoint = found.get();
        if (endpoint.disabled()) {
            writes.add(logAttempt(d, null, "endpoint disabled (" + endpoint.disabledReason() + "): not attempted", null));
            return;
        }
        if (d.attempt() > 1 && late.alreadyDelivered(endpoint.id(), d.event().id())) {
            writes.add(logAttempt(d, null, "not attempted: attempt " + (d.attempt() - 1) + " delivered it after its retry was written",
                    null));
            return;
        }
        boolean cooling = d.attempt() == 1 && health.cooling(endpoint.id(), clock.millis());
        if (!route.delays().isEmpty() && (cooling || !late.mayAttempt(endpoint.id()))) {
            // Its last attempt got no answer in time, or its calls fill their bound: waiting on it
            // again here would hold up this poll. The first tier is where it waits, uncounted.
            Duration first = route.delays().get(0);
            String tier = Topics.webhookRetry(first.toMillis()).name();
            WebhookDelivery later = new WebhookDelivery(d.endpointId(), d.event(), d.attempt(), clock.millis() + first.toMillis());
            writes.add(template.send(tier, d.endpointId(), Topics.WEBHOOK_DELIVERY_SERDE.serializer().serialize(tier, later)));
            return;
        }
        CompletableFuture<DeliveryAttempt.Result> result = attempt.send(endpoint, d.event())
                .orTimeout(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS)
                .exceptionally(e -> new DeliveryAttempt.Result(null, e.toString(), AttemptOutcome.retry()));
        attempts.add(new Started(d, endpoint, result));
    }

    /** Waits for the poll's attempts, at most {@link #pollBudget}. */
    private void waitForAttempts(List<Started> attempts) {
        try {
            CompletableFuture.allOf(attempts.stream().map(Started::result).toArray(CompletableFuture[]::new))
                    .get(pollBudget.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // Those still running are handed off.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while delivering webhooks", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a webhook attempt failed unexpectedly: " + e, e);
        }
    }

    private CompletableFuture<?> answered(Started a, DeliveryAttempt.Result result) {
        health.record(a.endpoint().id(), result.status() != null, clock.millis());
        return outcome(a.delivery(), a.endpoint(), result);
    }

    /**
     * An attempt the poll stops waiting for: counted as failed now (its retry and log written before
     * the commit, so a crash loses nothing), while its call runs on. A late success is remembered so
     * that the retry is dropped, a late 410 still disables the endpoint; what the late answer logs is
     * not awaited (losing that log line loses no event).
     */
    private CompletableFuture<?> handOff(Started a) {
        WebhookDelivery d = a.delivery();
        String endpointId = a.endpoint().id();
        late.started(endpointId);
        health.record(endpointId, false, clock.millis());
        a.result().thenAccept(result -> {
            boolean delivered = result.outcome().kind() == AttemptOutcome.Kind.DELIVERED;
            late.ended(endpointId, d.event().id(), delivered);
            health.record(endpointId, result.status() != null, clock.millis());
            String note = "answered after the poll stopped waiting (its retry was already written"
                    + (delivered ? "; dropped as delivered)" : ")");
            if (result.outcome().kind() == AttemptOutcome.Kind.DISABLE) {
                outcome(d, a.endpoint(), result);
            } else {
                logAttempt(d, result.status(), result.error() == null ? note : result.error() + "; " + note, null);
            }
        });
        RetryRoute.Hop hop = route.after(d.attempt(), clock.instant(), Optional.empty());
        WebhookDelivery next = d.next(hop.dueAt());
        return CompletableFuture.allOf(
                template.send(hop.topic(), d.endpointId(), Topics.WEBHOOK_DELIVERY_SERDE.serializer().serialize(hop.topic(), next)),
                logAttempt(d, null, "no answer within " + pollBudget.toMillis() + " ms: counted as failed, the call goes on",
                        hop.deadLetter() ? null : hop.dueAt()));
    }

    private CompletableFuture<?> outcome(WebhookDelivery d, WebhookEndpoint endpoint, DeliveryAttempt.Result result) {
        Instant now = clock.instant();
        switch (result.outcome().kind()) {
            case DELIVERED:
                return logAttempt(d, result.status(), null, null);
            case DISABLE: {
                log.warn("webhook endpoint {} answered 410 Gone: disabled", endpoint.id());
                WebhookEndpoint disabled = endpoint.disable("the endpoint answered 410 Gone", now.toEpochMilli());
                return CompletableFuture.allOf(
                        send(Topics.WEBHOOK_ENDPOINTS, endpoint.id(), Topics.WEBHOOK_ENDPOINT_SERDE.serializer()
                                .serialize(Topics.WEBHOOK_ENDPOINTS.name(), disabled)),
                        logAttempt(d, result.status(), null, null));
            }
            default: {
                RetryRoute.Hop hop = route.after(d.attempt(), now, result.outcome().notBefore());
                WebhookDelivery next = d.next(hop.dueAt());
                if (hop.deadLetter()) {
                    log.warn("webhook event {} to endpoint {} failed {} attempts: dead-lettered", d.event().id(), d.endpointId(),
                            d.attempt());
                }
                return CompletableFuture.allOf(
                        template.send(hop.topic(), d.endpointId(), Topics.WEBHOOK_DELIVERY_SERDE.serializer().serialize(hop.topic(), next)),
                        logAttempt(d, result.status(), result.error(), hop.deadLetter() ? null : hop.dueAt()));
            }
        }
    }

    private CompletableFuture<?> logAttempt(WebhookDelivery d, Integer status, String error, Long nextAt) {
        WebhookAttempt a = new WebhookAttempt(d.endpointId(), d.event().id(), d.event().type(), d.attempt(), clock.millis(), status,
                error, nextAt);
        return send(Topics.WEBHOOK_ATTEMPTS, d.endpointId(), Topics.WEBHOOK_ATTEMPT_SERDE.serializer()
                .serialize(Topics.WEBHOOK_ATTEMPTS.name(), a));
    }

    private CompletableFuture<?> send(Topic<String, ?> topic, String key, byte[] value) {
        return template.send(topic.name(), key, value);
    }

    /** Every outcome written, or an exception: the container's error handler reads the batch again. */
    private void awaitAll(List<CompletableFuture<?>> work) {
        try {
            CompletableFuture.allOf(work.toArray(CompletableFuture[]::new)).get(timeout.toMillis() + 60_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while delivering webhooks", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write the outcomes of webhook attempts (the batch is read again): " + e, e);
        }
    }

    private static WebhookDelivery decode(ConsumerRecord<String, byte[]> r) {
        try {
            WebhookDelivery d = r.value() == null ? null
                    : Topics.WEBHOOK_DELIVERY_SERDE.deserializer().deserialize(r.topic(), r.value());
            if (d == null || d.event() == null || d.endpointId() == null) {
                log.error("{}-{}@{} is not a webhook delivery: skipped", r.topic(), r.partition(), r.offset());
                return null;
            }
            return d;
        } catch (RuntimeException e) {
            log.error("{}-{}@{} is not a webhook delivery: skipped ({})", r.topic(), r.partition(), r.offset(), e.toString());
            return null;
        }
    }

    /** True while every container runs. */
    public boolean running() {
        return !containers.isEmpty() && containers.stream().allMatch(ConcurrentMessageListenerContainer::isRunning);
    }

    @Override
    public synchronized void close() {
        for (ConcurrentMessageListenerContainer<String, byte[]> c : containers) {
            try {
                c.stop();
            } catch (RuntimeException e) {
                log.warn("webhook container {} did not stop cleanly: {}", c.getBeanName(), e.toString());
            }
        }
        containers.clear();
        producerFactory.destroy();
        attempt.close();
    }
}
