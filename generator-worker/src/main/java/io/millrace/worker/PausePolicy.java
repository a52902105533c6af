package io.millrace.worker;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import io.millrace.protocol.Topics;
import org.apache.kafka.common.TopicPartition;

/**
 * Which partitions the consumer pauses, so that the poll loop keeps polling (and stays far
 * inside {@code max.poll.interval.ms}) however long generation takes, while memory stays bounded.
 *
 * <ul>
 *   <li>All of them while {@code maxInFlight} or more requests are still generating: enough to
 *       keep the engine's batch full (a few times its size), no more.
 *   <li>Batch work never takes the last {@code reservedInteractive} of them: the batch lane's
 *       partitions (every partition but the models' interactive lanes, {@link Topics#isInteractive},
 *       retry topics included) are paused once {@code maxInFlight - reservedInteractive} batch
 *       requests generate, so an interactive request is still consumed, and reaches the engine
 *       (which admits it first), while a 50,000-line batch fills the worker.
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
    private final int reservedInteractive;

    /** With no capacity kept for interactive requests. */
    PausePolicy(int maxInFlight, int maxQueuedPerPartition) {
        this(maxInFlight, maxQueuedPerPartition, 0);
    }

    PausePolicy(int maxInFlight, int maxQueuedPerPartition, int reservedInteractive) {
        if (maxInFlight < 1 || maxQueuedPerPartition < 1) {
            throw new IllegalArgumentException("in-flight and per-partition limits must be at least 1");
        }
        if (reservedInteractive < 0 || reservedInteractive >= maxInFlight) {
            throw new IllegalArgumentException("the in-flight capacity kept for interactive requests must be from 0 to "
                    + (maxInFlight - 1) + ", not " + reservedInteractive);
        }
        this.maxInFlight = maxInFlight;
        this.maxQueuedPerPartition = maxQueuedPerPartition;
        this.reservedInteractive = reservedInteractive;
    }

    /** The same when every request generating is batch work (tests of the bounds alone). */
    Set<TopicPartition> toPause(Collection<TopicPartition> assignment, int generating, Map<TopicPartition, Integer> queued) {
        return toPause(assignment, generating, generating, queued);
    }

    /**
     * @param assignment the consumer's partitions
     * @param generating      requests submitted and not finished, of both lanes
     * @param generatingBatch those of them in the batch lane
     * @param queued          uncommitted entries per partition (absent: none)
     * @return the partitions to pause now; the others of the assignment are to be resumed
     */
    Set<TopicPartition> toPause(Collection<TopicPartition> assignment, int generating, int generatingBatch,
            Map<TopicPartition, Integer> queued) {
        if (generating >= maxInFlight) {
            return Set.copyOf(assignment);
        }
        boolean batchFull = generatingBatch >= maxInFlight - reservedInteractive;
        Set<TopicPartition> full = new HashSet<>();
        for (TopicPartition tp : assignment) {
            if (queued.getOrDefault(tp, 0) >= maxQueuedPerPartition || batchFull && !Topics.isInteractive(tp.topic())) {
                full.add(tp);
            }
        }
        return full;
    }
}
