package io.millrace.streams;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The Kafka Streams settings of one stream stage: the defaults every stage shares (exactly-once,
 * broker-default replication, a short commit interval), then the stage's own settings (its
 * exception handlers, say), then the caller's overrides; each layer wins over the one before.
 *
 * @param applicationId the stage's application id: its consumer group and the prefix of its
 *                      internal topics, so it must stay the same across releases
 * @param stageSettings StreamsConfig or client settings that this stage always sets
 */
public record StreamsSettings(String applicationId, Map<String, Object> stageSettings) {
    public StreamsSettings {
        if (applicationId == null || applicationId.isBlank()) {
            throw new IllegalArgumentException("applicationId is blank: pass the stage's stable application id");
        }
        stageSettings = Map.copyOf(stageSettings);
    }

    /**
     * The settings for one instance of the stage.
     *
     * @param stateDir  where the state stores live
     * @param overrides any StreamsConfig or client setting, e.g. {@code num.stream.threads}; may be null
     * @throws IllegalArgumentException naming the fix, for a blank bootstrap, a null state directory
     *         or an override with a null key or value
     */
    public Properties properties(String bootstrapServers, Path stateDir, Map<String, Object> overrides) {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("bootstrapServers is blank: pass host:port of at least one broker");
        }
        if (stateDir == null) {
            throw new IllegalArgumentException("stateDir is null: pass a directory that persists across restarts"
                    + " (the state stores live there; without it every start restores them from Kafka)");
        }
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
        // Also makes the consumers read_committed and the producers transactional.
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        // -1: the broker's default.replication.factor, so one-broker dev setups and 3-broker
        // production create the internal topics without a per-environment setting.
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        // Each commit ends a transaction: what a stage wrote or materialized becomes visible to
        // read_committed readers and queries only then, so the interval is the latency it adds.
        // 20 ms, not 100: a synchronous HTTP request crosses the router's commit, and 100 ms put
        // ~50 ms on its median (benchmarks/api-latency.sh); 50 commits a second cost little.
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 20);
        // A thread commits only after processing, when the interval has passed; a record processed
        // sooner waits in an open transaction until the next poll returns, and an idle poll blocks
        // for poll.ms (100 ms by default). So a request that arrived within 20 ms of the last
        // commit (another request's, or a result the response cache read) waited up to 100 ms for
        // its commit. Polling every 5 ms bounds that wait by the interval; an idle poll is cheap.
        props.put(StreamsConfig.POLL_MS_CONFIG, 5);
        // A send refused with CONCURRENT_TRANSACTIONS (the previous commit's markers still being
        // written) is retried after this back-off: the default 100 ms put that much on a request's
        // latency each time; markers take about a millisecond. Grows exponentially up to
        // retry.backoff.max.ms (1 s) for errors that last.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.RETRY_BACKOFF_MS_CONFIG), 5);
        // Kafka Streams lingers 100 ms by default; under exactly-once every commit flushes anyway, so
        // lingering only moved a record's send into the commit, in series with its round trips.
        // Sent at once, it is acknowledged while the thread goes on, and the commit starts later.
        props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
        // One produce request in flight per broker connection, not five. Under exactly-once with
        // transactions v2 (KIP-890), a broker takes only sequence 0 as the first batch of a producer's
        // epoch on a partition (KAFKA-18202: "Expected sequence 0 for transactions v2 idempotent
        // producer with no existing state"). The router was refused so under batch load (2026-12-06,
        // docs/BENCHMARKS.md), and Kafka Streams handles OutOfOrderSequenceException as a migrated
        // task: a rebalance, seconds in which nothing is routed. A later batch can only arrive first
        // while an earlier one of the same partition is still in flight or being retried; with one
        // request in flight it cannot. Not reproduced since (six tries), so this rules out the
        // condition rather than a seen failure. Cost with benchmarks/router.sh: none above the noise
        // (each request carries every batch ready by then; linger is 0 anyway).
        props.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION), 1);
        props.putAll(stageSettings);
        if (overrides != null) {
            overrides.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException("override " + k + "=" + v + " has a null: remove it to keep"
                            + " the default");
                }
                props.put(k, v);
            });
        }
        return props;
    }

    /** Whether {@code props} keep exactly_once_v2, which every stream stage's guarantee rests on. */
    public static boolean exactlyOnce(Properties props) {
        return StreamsConfig.EXACTLY_ONCE_V2.equals(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    }
}
