package io.millrace.router;

import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Topic;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.processor.RecordContext;
import org.apache.kafka.streams.processor.TopicNameExtractor;

/**
 * Dynamic routing: picks the generation topic of a routed request from its {@code model} and its
 * lane: an interactive request ({@link RequestEvent#interactive()}: a client waits for it) goes to
 * the model's interactive lane {@code millrace.gen.<model>.interactive}, batch work to
 * {@code millrace.gen.<model>}. Apart on their own partitions, an interactive request is never
 * queued behind batch lines in a partition, nor is its commit held behind theirs (a worker commits a
 * partition only up to its first unfinished request). Topics are resolved once from the catalog, so
 * a model outside it is a bug in the policy (it only routes catalog models) and fails loudly rather
 * than creating a stray topic.
 */
final class GenerationTopics implements TopicNameExtractor<String, RequestEvent> {
    private final Map<String, Topic<String, RequestEvent>> byModel;
    private final Map<String, Topic<String, RequestEvent>> interactiveByModel;

    GenerationTopics(ModelCatalog catalog) {
        this.byModel = catalog.names().stream()
                .collect(Collectors.toUnmodifiableMap(Function.identity(), Topics::generation));
        this.interactiveByModel = catalog.names().stream()
                .collect(Collectors.toUnmodifiableMap(Function.identity(), Topics::interactive));
    }

    @Override
    public String extract(String key, RequestEvent value, RecordContext recordContext) {
        Topic<String, RequestEvent> topic = (value.interactive() ? interactiveByModel : byModel).get(value.model());
        if (topic == null) {
            throw new IllegalStateException("request " + key + " was routed to model '" + value.model()
                    + "', which is not in the catalog " + byModel.keySet());
        }
        return topic.name();
    }

    /** Every generation topic has the same serdes; taken from the topics so the sink never spells its own. */
    Serializer<String> keySerializer() {
        return anyTopic().keySerde().serializer();
    }

    Serializer<RequestEvent> valueSerializer() {
        return anyTopic().valueSerde().serializer();
    }

    private Topic<String, RequestEvent> anyTopic() {
        return byModel.values().iterator().next();
    }
}
