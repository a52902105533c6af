package io.millrace.webhooks;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.WebhookDelivery;
import io.millrace.protocol.events.WebhookEndpoint;
import io.millrace.protocol.events.WebhookEvent;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.AutoOffsetReset;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The webhooks role's topology, a pure factory shared by {@link WebhooksService} and the tests:
 *
 * <pre>
 *   millrace.batches ──▶ batch-events   (store webhook-batch-events: event ids derived) ──┐
 *   millrace.results ──▶ request-events (store webhook-request-events, 7 d window) ───────┴─▶ millrace.webhook-events
 *   millrace.webhook-events ──▶ fan-out (reads global store webhook-endpoints) ──▶ millrace.webhook-deliveries
 *   millrace.webhook-endpoints ──▶ global store webhook-endpoints
 * </pre>
 *
 * Exactly once ({@code exactly_once_v2}): an event is written in the transaction that stores its id
 * and commits the input offset, so a crash neither loses nor repeats it; a batch event published
 * again with the same end, or a result published again, finds its id stored and yields nothing.
 * The fan-out writes one delivery per subscribed endpoint of the event's tenant (and of no other
 * tenant) in the transaction that consumes the event. Stores keyed by the event id are
 * co-partitioned with their input: an id is derived from the input's key (batch id, request id).
 */
public final class WebhookTopology {
    static final String BATCH_EVENTS_STORE = io.millrace.protocol.Stores.WEBHOOK_BATCH_EVENTS;
    static final String REQUEST_EVENTS_STORE = io.millrace.protocol.Stores.WEBHOOK_REQUEST_EVENTS;
    static final String ENDPOINTS_STORE = io.millrace.protocol.Stores.WEBHOOK_ENDPOINTS;
    /** As the router's dedup: a result published again within a week is recognized. */
    static final Duration REQUEST_EVENTS_RETENTION = io.millrace.protocol.Stores.DEDUP_RETENTION;

    private WebhookTopology() {}

    public static Topology build() {
        Topology t = new Topology();
        t.addSource(AutoOffsetReset.earliest(), "batches-source", Topics.BATCHES.keySerde().deserializer(),
                Topics.BATCHES.valueSerde().deserializer(), Topics.BATCHES.name());
        t.addProcessor("batch-events", BatchEvents::new, "batches-source");
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BATCH_EVENTS_STORE), Serdes.String(),
                Serdes.Long()), "batch-events");
        t.addSource(AutoOffsetReset.earliest(), "results-source", Topics.RESULTS.keySerde().deserializer(),
                Topics.RESULTS.valueSerde().deserializer(), Topics.RESULTS.name());
        t.addProcessor("request-events", RequestEvents::new, "results-source");
        t.addStateStore(Stores.windowStoreBuilder(Stores.persistentWindowStore(REQUEST_EVENTS_STORE, REQUEST_EVENTS_RETENTION,
                REQUEST_EVENTS_RETENTION, false), Serdes.String(), Serdes.Long()), "request-events");
        t.addSink("events-sink", Topics.WEBHOOK_EVENTS.name(), Topics.WEBHOOK_EVENTS.keySerde().serializer(),
                Topics.WEBHOOK_EVENTS.valueSerde().serializer(), "batch-events", "request-events");

        t.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ENDPOINTS_STORE), Serdes.String(),
                        Topics.WEBHOOK_ENDPOINT_SERDE).withLoggingDisabled(),
                "endpoints-source", Topics.WEBHOOK_ENDPOINTS.keySerde().deserializer(),
                Topics.WEBHOOK_ENDPOINTS.valueSerde().deserializer(), Topics.WEBHOOK_ENDPOINTS.name(), "endpoints-updater",
                EndpointsUpdater::new);
        t.addSource(AutoOffsetReset.earliest(), "events-source", Topics.WEBHOOK_EVENTS.keySerde().deserializer(),
                Topics.WEBHOOK_EVENTS.valueSerde().deserializer(), Topics.WEBHOOK_EVENTS.name());
        t.addProcessor("fan-out", FanOut::new, "events-source");
        t.addSink("deliveries-sink", Topics.WEBHOOK_DELIVERIES.name(), Topics.WEBHOOK_DELIVERIES.keySerde().serializer(),
                Topics.WEBHOOK_DELIVERIES.valueSerde().serializer(), "fan-out");
        return t;
    }

    /** Batch state changes to events, each event id once. */
    static final class BatchEvents implements Processor<String, BatchEvent, String, WebhookEvent> {
        private ProcessorContext<String, WebhookEvent> context;
        private KeyValueStore<String, Long> derived;

        @Override
        public void init(ProcessorContext<String, WebhookEvent> context) {
            this.context = context;
            this.derived = context.getStateStore(BATCH_EVENTS_STORE);
        }

        @Override
        public void process(Record<String, BatchEvent> record) {
            Optional<WebhookEvent> e = EventRules.ofBatch(record.value());
            // A batch ends once, so its event ids are few: kept for good, like the batches topic.
            if (e.isPresent() && derived.get(e.get().id()) == null) {
                derived.put(e.get().id(), record.timestamp());
                context.forward(new Record<>(e.get().id(), e.get(), record.timestamp()));
            }
        }
    }

    /** Committed results to events, each event id once within the retention. */
    static final class RequestEvents implements Processor<String, ResultEvent, String, WebhookEvent> {
        private ProcessorContext<String, WebhookEvent> context;
        private WindowStore<String, Long> derived;

        @Override
        public void init(ProcessorContext<String, WebhookEvent> context) {
            this.context = context;
            this.derived = context.getStateStore(REQUEST_EVENTS_STORE);
        }

        @Override
        public void process(Record<String, ResultEvent> record) {
            Optional<WebhookEvent> e = EventRules.ofResult(record.value());
            if (e.isEmpty()) {
                return;
            }
            String id = e.get().id();
            long ts = record.timestamp();
            long retention = REQUEST_EVENTS_RETENTION.toMillis();
            // Either side of the timestamp: a result published again may carry an older one.
            try (WindowStoreIterator<Long> seen = derived.fetch(id, Math.max(0, ts - retention + 1), ts + retention - 1)) {
                if (seen.hasNext()) {
                    return;
                }
            }
            derived.put(id, ts, ts);
            context.forward(new Record<>(id, e.get(), ts));
        }
    }

    /** Keeps the global store equal to the endpoints topic; a tombstone deletes. */
    static final class EndpointsUpdater implements Processor<String, WebhookEndpoint, Void, Void> {
        private KeyValueStore<String, WebhookEndpoint> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(ENDPOINTS_STORE);
        }

        @Override
        public void process(Record<String, WebhookEndpoint> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }

    /**
     * One delivery per endpoint of the event's tenant that subscribes to its type. Endpoints are
     * few per tenant (the API allows 20), so every event scans them all.
     */
    static final class FanOut implements Processor<String, WebhookEvent, String, WebhookDelivery> {
        private ProcessorContext<String, WebhookDelivery> context;
        private KeyValueStore<String, WebhookEndpoint> endpoints;

        @Override
        public void init(ProcessorContext<String, WebhookDelivery> context) {
            this.context = context;
            this.endpoints = context.getStateStore(ENDPOINTS_STORE);
        }

        @Override
        public void process(Record<String, WebhookEvent> record) {
            WebhookEvent event = record.value();
            if (event == null) {
                return;
            }
            try (KeyValueIterator<String, WebhookEndpoint> all = endpoints.all()) {
                while (all.hasNext()) {
                    KeyValue<String, WebhookEndpoint> kv = all.next();
                    WebhookEndpoint e = kv.value;
                    if (Objects.equals(e.tenant(), event.tenant()) && e.subscribes(event.type())) {
                        context.forward(new Record<>(e.id(), new WebhookDelivery(e.id(), event, 1, record.timestamp()),
                                record.timestamp()));
                    }
                }
            }
        }
    }
}
