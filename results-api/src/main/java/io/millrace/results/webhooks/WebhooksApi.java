package io.millrace.results.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.Json;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.WebhookAttempt;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.protocol.webhooks.WebhookSecrets;
import io.millrace.protocol.webhooks.WebhookUrlGuard;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook endpoints of {@code /v1/webhooks}, per tenant: registration (the URL checked by the
 * server-side request forgery guard, the secret shown once), listing, deletion, secret rotation,
 * the delivery log and replays from the dead-letter topic. A tenant's calls see only its own
 * endpoints: another tenant's id is 404, as an id that does not exist. Writes go to
 * {@code millrace.webhook-endpoints} and are read back before answering, so a client sees its own
 * writes on the next call.
 */
public final class WebhooksApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WebhooksApi.class);
    /** More endpoints than this per tenant is a loop in a client, not a need; each event fans out to all. */
    static final int MAX_ENDPOINTS_PER_TENANT = 20;
    static final int MAX_PAGE = 100;
    private static final Duration SYNC = Duration.ofSeconds(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String bootstrapServers;
    private final EndpointDirectory directory;
    private final Producer<String, byte[]> producer;
    private final WebhookUrlGuard guard;
    private final Duration rotationGrace;
    private final Clock clock;

    WebhooksApi(String bootstrapServers, EndpointDirectory directory, Producer<String, byte[]> producer, WebhookUrlGuard guard,
            Duration rotationGrace, Clock clock) {
        this.bootstrapServers = bootstrapServers;
        this.directory = directory;
        this.producer = producer;
        this.guard = guard;
        this.rotationGrace = rotationGrace;
        this.clock = clock;
    }

    public static WebhooksApi connect(String bootstrapServers, WebhookUrlGuard guard, Duration rotationGrace, Clock clock) {
        EndpointDirectory directory = new EndpointDirectory(bootstrapServers);
        try {
            return new WebhooksApi(bootstrapServers, directory, producer(bootstrapServers), guard, rotationGrace, clock);
        } catch (RuntimeException e) {
            directory.close();
            throw e;
        }
    }

    /** An idempotent producer that waits for every replica: a registered endpoint is never lost. */
    public static Producer<String, byte[]> producer(String bootstrapServers) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** {@code POST /v1/webhooks}: the endpoint object with its {@code secret}, shown this once. */
    public ObjectNode create(String tenant, byte[] body) {
        EndpointRequest req = EndpointRequest.parse(body);
        try {
            guard.check(req.url());
        } catch (WebhookUrlGuard.Refused e) {
            throw WebhooksException.invalid(e.getMessage() + ".", "url");
        }
        directory.sync(SYNC);
        if (directory.of(tenant).size() >= MAX_ENDPOINTS_PER_TENANT) {
            throw WebhooksException.invalid("A tenant has at most " + MAX_ENDPOINTS_PER_TENANT
                    + " webhook endpoints: delete one first.", null);
        }
        String secret = WebhookSecrets.generate();
        WebhookEndpoint e = new WebhookEndpoint("whep_" + HexFormat.of().formatHex(randomBytes(12)), tenant, req.url(),
                req.events(), req.description(), List.of(new WebhookEndpoint.Secret(secret, null)), clock.millis(), null, null);
        publish(e.id(), e);
        ObjectNode o = object(e);
        o.put("secret", secret);
        return o;
    }

    /** {@code GET /v1/webhooks}: the tenant's endpoints, oldest first, without secrets. */
    public ObjectNode list(String tenant) {
        ObjectNode list = Json.object();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        directory.of(tenant).forEach(e -> data.add(object(e)));
        list.put("has_more", false);
        return list;
    }

    public ObjectNode retrieve(String tenant, String id) {
        return object(find(tenant, id));
    }

    /** {@code DELETE /v1/webhooks/{id}}: a tombstone; deliveries in flight to it are dropped. */
    public ObjectNode delete(String tenant, String id) {
        WebhookEndpoint e = find(tenant, id);
        publish(e.id(), null);
        ObjectNode o = Json.object();
        o.put("id", e.id());
        o.put("object", "webhook_endpoint.deleted");
        o.put("deleted", true);
        return o;
    }

    /**
     * {@code POST /v1/webhooks/{id}/rotate_secret}: a new secret, shown this once; the old ones keep
     * signing beside it for the rotation grace, so receivers can switch without losing a delivery.
     */
    public ObjectNode rotateSecret(String tenant, String id) {
        directory.sync(SYNC); // rotate the latest state (the dispatcher may have disabled it)
        WebhookEndpoint e = find(tenant, id);
        String secret = WebhookSecrets.generate();
        WebhookEndpoint rotated = e.rotate(secret, clock.millis(), rotationGrace.toMillis());
        publish(e.id(), rotated);
        ObjectNode o = object(rotated);
        o.put("secret", secret);
        return o;
    }

    /**
     * {@code GET /v1/webhooks/{id}/deliveries?after=&limit=}: the delivery log, newest attempt
     * first, paged as OpenAI lists (ids are {@code whdel_<offset>}; {@code after} continues).
     */
    public ObjectNode deliveries(String tenant, String id, String after, String limit) {
        WebhookEndpoint e = find(tenant, id);
        int max = 20;
        if (limit != null) {
            try {
                max = Integer.parseInt(limit.trim());
            } catch (NumberFormatException ex) {
                max = -1;
            }
            if (max < 1 || max > MAX_PAGE) {
                throw WebhooksException.invalid("limit must be from 1 to " + MAX_PAGE + ".", "limit");
            }
        }
        long before = Long.MAX_VALUE;
        if (after != null && !after.isEmpty()) {
            if (!after.matches("whdel_[0-9]{1,18}")) {
                throw WebhooksException.invalid("after must be a delivery id (whdel_...) from an earlier page.", "after");
            }
            before = Long.parseLong(after.substring(6));
        }
        List<ConsumerRecord<String, WebhookAttempt>> attempts = new ArrayList<>();
        long cursor = before;
        KeyPartitionReader.read(bootstrapServers, Topics.WEBHOOK_ATTEMPTS, e.id(), r -> {
            if (r.offset() < cursor && e.id().equals(r.value().endpointId())) {
                attempts.add(r);
            }
        });
        ObjectNode list = Json.object();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        for (int i = attempts.size() - 1; i >= 0 && data.size() < max; i--) {
            data.add(attempt(attempts.get(i)));
        }
        list.put("first_id", data.isEmpty() ? null : data.get(0).get("id").asText());
        list.put("last_id", data.isEmpty() ? null : data.get(data.size() - 1).get("id").asText());
        list.put("has_more", attempts.size() > data.size());
        return list;
    }

    /**
     * {@code POST /v1/webhooks/{id}/replay}, body optionally {@code {"since": <unix seconds>}}:
     * re-delivers the endpoint's dead-lettered events ({@link DeadLetterReplay}).
     */
    public ObjectNode replay(String tenant, String id, byte[] body) {
        WebhookEndpoint e = find(tenant, id);
        long since = 0;
        if (body != null && body.length > 0) {
            JsonNode root;
            try {
                root = Json.MAPPER.readTree(body);
            } catch (IOException ex) {
                throw WebhooksException.invalid("The body is not JSON: send {\"since\": <unix seconds>} or nothing.", null);
            }
            JsonNode s = root == null ? null : root.get("since");
            if (s != null && !s.isNull()) {
                if (!s.canConvertToLong() || s.asLong() < 0) {
                    throw WebhooksException.invalid("since must be a time in Unix seconds.", "since");
                }
                since = s.asLong() * 1000;
            }
        }
        int n = DeadLetterReplay.replay(bootstrapServers, producer, e.id(), since, clock.millis());
        log.info("replayed {} dead-lettered events to webhook endpoint {}", n, e.id());
        ObjectNode o = Json.object();
        o.put("object", "webhook_endpoint.replay");
        o.put("endpoint_id", e.id());
        o.put("replayed", n);
        return o;
    }

    private WebhookEndpoint find(String tenant, String id) {
        return directory.find(tenant, id).orElseThrow(() -> WebhooksException.notFound(id));
    }

    private void publish(String id, WebhookEndpoint e) {
        try {
            producer.send(new ProducerRecord<>(Topics.WEBHOOK_ENDPOINTS.name(), id,
                    e == null ? null : Topics.WEBHOOK_ENDPOINT_SERDE.serializer().serialize(Topics.WEBHOOK_ENDPOINTS.name(), e))).get();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while saving webhook endpoint " + id, ex);
        } catch (ExecutionException ex) {
            throw new IllegalStateException("cannot save webhook endpoint " + id + ": " + ex.getCause(), ex);
        }
        directory.sync(SYNC);
    }

    /** The endpoint object: never the secret, which only creation and rotation show. */
    static ObjectNode object(WebhookEndpoint e) {
        ObjectNode o = Json.object();
        o.put("id", e.id());
        o.put("object", "webhook_endpoint");
        o.put("url", e.url());
        ArrayNode events = o.putArray("events");
        e.events().forEach(events::add);
        o.put("description", e.description());
        o.put("status", e.disabled() ? "disabled" : "enabled");
        o.put("disabled_reason", e.disabledReason());
        o.put("created_at", e.createdAt() / 1000);
        return o;
    }

    private static ObjectNode attempt(ConsumerRecord<String, WebhookAttempt> r) {
        WebhookAttempt a = r.value();
        ObjectNode o = Json.object();
        o.put("id", "whdel_" + r.offset());
        o.put("object", "webhook_endpoint.delivery");
        o.put("event_id", a.eventId());
        o.put("event_type", a.eventType());
        o.put("attempt", a.attempt());
        o.put("created_at", a.at() / 1000);
        o.put("status_code", a.statusCode());
        o.put("error", a.error());
        if (a.nextAttemptAt() == null) {
            o.putNull("next_attempt_at");
        } else {
            o.put("next_attempt_at", a.nextAttemptAt() / 1000);
        }
        return o;
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    public boolean ready() {
        return directory.ready();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        directory.close();
    }
}
