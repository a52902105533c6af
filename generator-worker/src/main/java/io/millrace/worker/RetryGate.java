package io.millrace.worker;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.common.TopicPartition;

/**
 * The retry partitions whose head record is not due yet. The worker seeks such a partition back to
 * that record and pauses it until it is due: records of one retry topic share one delay, so those
 * behind the head are due no sooner, and nothing on other partitions waits (fresh requests on the
 * generation topic are never held back by retries).
 *
 * <p>Not thread-safe: the poll thread only.
 */
final class RetryGate {
    private final Map<TopicPartition, Long> dueAt = new HashMap<>();

    /** Holds this partition until {@code dueMillis}. */
    void hold(TopicPartition tp, long dueMillis) {
        dueAt.put(tp, dueMillis);
    }

    /** Whether this partition waits for its head record at {@code nowMillis}. */
    boolean holds(TopicPartition tp, long nowMillis) {
        Long due = dueAt.get(tp);
        return due != null && due > nowMillis;
    }

    /** The partitions still waiting at {@code nowMillis}; those now due are let go. */
    Set<TopicPartition> held(long nowMillis) {
        dueAt.values().removeIf(due -> due <= nowMillis);
        return dueAt.keySet().stream().collect(Collectors.toUnmodifiableSet());
    }

    /** Forgets these partitions (revoked, or rewound to their committed offsets). */
    void release(Collection<TopicPartition> partitions) {
        partitions.forEach(dueAt::remove);
    }
}
