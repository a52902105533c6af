package io.millrace.router;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ResultEvent;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * What the router remembered of a request it sent to a worker, in a pending store keyed by request
 * id, until the request's result arrives: {@code millrace.results} is keyed by request id and
 * partitioned as {@code millrace.requests}, so the task that routed a request sees its result. Taking
 * an entry removes it in the task's transaction, so a result read again after a crash finds nothing
 * and is acted on once. Results of other requests cost one lookup and are never decoded.
 */
final class PendingResults<V> {
    private final KeyValueStore<String, V> store;

    PendingResults(KeyValueStore<String, V> store) {
        this.store = store;
    }

    /** The entry of the request whose result has this key, removed; null when none is pending (or the key is not UTF-8). */
    V take(byte[] resultKey) {
        String requestId = StrictUtf8.decode(resultKey);
        if (requestId == null) {
            return null;
        }
        V entry = store.get(requestId);
        if (entry != null) {
            store.delete(requestId);
        }
        return entry;
    }

    /** The result in {@code value}, or null when it is none: a bad record on the topic is skipped, never fatal. */
    static ResultEvent decode(byte[] value) {
        if (value == null) {
            return null;
        }
        try {
            return Topics.RESULT_SERDE.deserializer().deserialize(Topics.RESULTS.name(), value);
        } catch (SerializationException e) {
            return null;
        }
    }
}
