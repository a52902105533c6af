package io.millrace.webhooks;

import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.protocol.webhooks.WebhookUrlGuard;
import io.millrace.streams.StreamsSettings;
import io.millrace.streams.StreamsStage;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The webhooks role: derives events exactly once and fans them out ({@link WebhookTopology}, Kafka
 * Streams, {@code exactly_once_v2}), and delivers them at least once, signed
 * ({@link WebhookDispatcher}). Endpoints are read from the topology's global store, so the
 * dispatcher sees a registration, a rotation or a deletion within a poll of the topic.
 */
public final class WebhooksService implements AutoCloseable {
    public static final String APPLICATION_ID = "millrace-webhooks";
    // A record that does not parse would stop derivation for good; this stage answers nobody, so
    // skipping it (logged) costs only that record's event.
    private static final StreamsSettings SETTINGS = new StreamsSettings(APPLICATION_ID, Map.of(
            StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class));

    private final StreamsStage stage;
    private final WebhookDispatcher dispatcher;

    public WebhooksService(String bootstrapServers, Path stateDir, WebhooksConfig config, Map<String, Object> overrides) {
        Properties props = SETTINGS.properties(bootstrapServers, stateDir, overrides);
        if (!StreamsSettings.exactlyOnce(props)) {
            throw new IllegalArgumentException(StreamsConfig.PROCESSING_GUARANTEE_CONFIG + "="
                    + props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)
                    + " could derive an event twice or lose one: remove the override");
        }
        this.stage = new StreamsStage("webhooks", Topics.BATCHES.name() + ", " + Topics.RESULTS.name() + " and "
                + Topics.WEBHOOK_EVENTS.name(), WebhookTopology.build(), props);
        WebhookUrlGuard guard = new WebhookUrlGuard(config.allowPrivate(), WebhookUrlGuard.Resolver.SYSTEM);
        this.dispatcher = new WebhookDispatcher(bootstrapServers, config, guard, this::endpoint, Clock.systemUTC());
    }

    public void start() {
        stage.start();
        dispatcher.start();
    }

    public void awaitRunning(Duration timeout) {
        stage.awaitRunning(timeout);
    }

    private Optional<WebhookEndpoint> endpoint(String id) {
        try {
            ReadOnlyKeyValueStore<String, WebhookEndpoint> store = stage.streams().store(
                    StoreQueryParameters.fromNameAndType(Stores.WEBHOOK_ENDPOINTS, QueryableStoreTypes.keyValueStore()));
            return Optional.ofNullable(store.get(id));
        } catch (InvalidStateStoreException e) {
            // Restoring or rebalancing: the attempt fails and is retried, never dropped as "deleted".
            throw new IllegalStateException("the webhook endpoints are not readable yet (" + e.getMessage() + ")", e);
        }
    }

    public KafkaStreams.State state() {
        return stage.state();
    }

    public boolean running() {
        return stage.state() == KafkaStreams.State.RUNNING && dispatcher.running();
    }

    @Override
    public void close() {
        dispatcher.close();
        stage.close();
    }
}
