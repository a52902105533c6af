package io.millrace.infra;

import io.millrace.protocol.ApiKeys;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ApiKeyEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code millrace keys create|list|revoke}: the API keys of the HTTP API, on
 * {@code millrace.api-keys}. Works with a {@code serve} running (its broker is used) or not (the
 * in-process broker is started on the data dir for the command), or on {@code --bootstrap-servers}.
 * Every API instance follows the topic, so a change takes effect everywhere within a poll.
 */
@Command(name = "keys", description = "Create, list and revoke API keys of the HTTP API.")
final class KeysCommand {
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(10);

    private final PrintStream out;
    private final Map<String, String> env;
    private final Clock clock;

    KeysCommand(PrintStream out, Map<String, String> env, Clock clock) {
        this.out = out;
        this.env = env;
        this.clock = clock;
    }

    @Command(name = "create", description = {"Create a key for a tenant and print it.",
            "The key is shown once: only its hash is stored. It is the last word of the last line printed."})
    int create(@Mixin ClusterOptions cluster, @Option(names = "--tenant", required = true, paramLabel = "NAME",
                    description = "whom the key acts for: letters, digits, '.', '_' or '-'") String tenant,
            @Option(names = "--rpm", paramLabel = "N", defaultValue = "0",
                    description = "requests per minute, 0 for no limit (default: ${DEFAULT-VALUE})") long rpm,
            @Option(names = "--tpm", paramLabel = "N", defaultValue = "0",
                    description = "tokens per minute, 0 for no limit (default: ${DEFAULT-VALUE})") long tpm) throws IOException {
        ApiKeys.Issued issued;
        try {
            issued = ApiKeys.issue(tenant, rpm, tpm, clock.millis());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        try (Deployment d = Deployment.client(cluster.settings(env))) {
            publish(d.bootstrapServers(), issued.event());
        }
        out.println("created " + issued.event().keyId() + " for tenant " + tenant + limits(issued.event())
                + "; the key is shown only now, keep it secret:");
        out.println(issued.key());
        return 0;
    }

    @Command(name = "list", description = "List the keys: id, tenant, limits, created, revoked (never the keys themselves).")
    int list(@Mixin ClusterOptions cluster) throws IOException {
        try (Deployment d = Deployment.client(cluster.settings(env))) {
            Map<String, ApiKeyEvent> keys = all(d.bootstrapServers());
            if (keys.isEmpty()) {
                out.println("no API keys yet: create one with millrace keys create --tenant NAME");
            }
            out.printf("%-18s %-20s %8s %10s  %-20s  %s%n", "KEY_ID", "TENANT", "RPM", "TPM", "CREATED", "REVOKED");
            for (ApiKeyEvent k : keys.values()) {
                out.printf("%-18s %-20s %8d %10d  %-20s  %s%n", k.keyId(), k.tenant(), k.rpm(), k.tpm(),
                        Instant.ofEpochMilli(k.createdAt()).toString().substring(0, 19) + "Z",
                        k.revoked() ? Instant.ofEpochMilli(k.revokedAt()).toString().substring(0, 19) + "Z" : "-");
            }
        }
        return 0;
    }

    @Command(name = "revoke", description = "Revoke a key: every API instance refuses it (401) from then on.")
    int revoke(@Mixin ClusterOptions cluster, @Parameters(paramLabel = "KEY_ID", description = "the key's id, as keys list shows it") String keyId) throws IOException {
        try (Deployment d = Deployment.client(cluster.settings(env))) {
            ApiKeyEvent key = all(d.bootstrapServers()).get(keyId);
            if (key == null) {
                throw new IllegalArgumentException("no API key with id " + keyId + ": see millrace keys list");
            }
            if (key.revoked()) {
                out.println(keyId + " was already revoked");
                return 0;
            }
            publish(d.bootstrapServers(), key.revoke(clock.millis()));
            out.println("revoked " + keyId + " (tenant " + key.tenant() + ")");
        }
        return 0;
    }

    private static String limits(ApiKeyEvent k) {
        return (k.rpm() > 0 ? ", " + k.rpm() + " requests/min" : "") + (k.tpm() > 0 ? ", " + k.tpm() + " tokens/min" : "");
    }

    /** The latest state of every key, in the order they were created. */
    private static Map<String, ApiKeyEvent> all(String bootstrapServers) {
        Map<String, ApiKeyEvent> keys = new LinkedHashMap<>();
        TopicScan.toEnd(bootstrapServers, Topics.API_KEYS.name(), r -> {
            if (r.key() == null) {
                return;
            }
            if (r.value() == null) {
                keys.remove(r.key());
            } else {
                keys.put(r.key(), Topics.API_KEY_SERDE.deserializer().deserialize(r.topic(), r.value()));
            }
        });
        return keys;
    }

    private static void publish(String bootstrapServers, ApiKeyEvent key) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers, ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.API_KEYS.name(), key.keyId(),
                    Topics.API_KEY_SERDE.serializer().serialize(Topics.API_KEYS.name(), key)))
                    .get(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing the key", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not write the key to " + Topics.API_KEYS.name() + ": " + e.getMessage(), e);
        }
    }
}
