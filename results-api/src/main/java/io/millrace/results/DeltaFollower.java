package io.millrace.results;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.DeltaEvent;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Hands the text deltas on {@code millrace.stream} to the streamed requests this instance holds
 * open. Every instance reads every partition (a {@link TopicFollower}, from the end at start), so
 * a delta reaches the instance the client is connected to whichever worker wrote it.
 */
final class DeltaFollower implements AutoCloseable {
    private final Map<String, Consumer<DeltaEvent>> listeners = new ConcurrentHashMap<>();
    private final TopicFollower follower;

    DeltaFollower(String bootstrapServers) {
        follower = new TopicFollower(bootstrapServers, Topics.STREAM.name(), TopicFollower.From.END, r -> {
            Consumer<DeltaEvent> l = r.key() == null || r.value() == null ? null : listeners.get(r.key());
            if (l != null) {
                l.accept(Topics.DELTA_SERDE.deserializer().deserialize(r.topic(), r.value()));
            }
        });
    }

    /** Starts handing {@code requestId}'s deltas to {@code listener}; call before publishing the request. */
    void listen(String requestId, Consumer<DeltaEvent> listener) {
        listeners.put(requestId, listener);
    }

    void forget(String requestId) {
        listeners.remove(requestId);
    }

    boolean running() {
        return follower.running();
    }

    @Override
    public void close() {
        follower.close();
    }
}
