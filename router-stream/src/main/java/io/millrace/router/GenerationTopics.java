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
 * Dynamic routing: picks the generation topic of a routed request from its {@code model}. Topics
 * are resolved once from the catalog, so a model outside it is a bug in the policy (it only
 * routes catalog models) and fails loudly rather than creating a stray topic.
 */
final class GenerationTopics implements TopicNameExtractor<String, RequestEvent> {
    private final Map<String, Topic<String, RequestEvent>> byModel;

    GenerationTopics(ModelCatalog catalog) {
        this.byModel = catalog.names().stream()
                .collect(Collectors.toUnmodifiableMap(Function.identity(), Topics::generation));
    }

    @Override
    public String extract(String key, RequestEvent value, RecordContext recordContext) {
        Topic<String, RequestEvent> topic = byModel.get(value.model());
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
