package io.millrace.worker;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;

/**
 * Which partitions the consumer pauses, so that the poll loop keeps polling (and stays far
 * inside {@code max.poll.interval.ms}) however long generation takes, while memory stays bounded.
 *
 * <ul>
 *   <li>All of them while {@code maxInFlight} or more requests are still generating: enough to
 *       keep the engine's batch full (a few times its size), no more.
 *   <li>Besides, each partition holding {@code maxQueuedPerPartition} or more uncommitted entries:
 *       a slow request at the head of a partition holds back the commit of everything behind it
 *       (see {@link InFlight}), so a partition may not run ahead of its own head without end.
 * </ul>
 *
 * Stateless: the worker asks on every loop and after every rebalance (a rebalance forgets which
 * partitions were paused).
 */
final class PausePolicy {
    private final int maxInFlight;
    private final int maxQueuedPerPartition;

    PausePolicy(int maxInFlight, int maxQueuedPerPartition) {
        if (maxInFlight < 1 || maxQueuedPerPartition < 1) {
            throw new IllegalArgumentException("in-flight and per-partition limits must be at least 1");
        }
        this.maxInFlight = maxInFlight;
        this.maxQueuedPerPartition = maxQueuedPerPartition;
    }

    /**
     * @param assignment the consumer's partitions
     * @param generating requests submitted and not finished
     * @param queued     uncommitted entries per partition (absent: none)
     * @return the partitions to pause now; the others of the assignment are to be resumed
     */
    Set<TopicPartition> toPause(Collection<TopicPartition> assignment, int generating, Map<TopicPartition, Integer> queued) {
        if (generating >= maxInFlight) {
            return Set.copyOf(assignment);
        }
        Set<TopicPartition> full = new HashSet<>();
        for (TopicPartition tp : assignment) {
            if (queued.getOrDefault(tp, 0) >= maxQueuedPerPartition) {
                full.add(tp);
            }
        }
        return full;
    }
}
