package io.millrace.results;

import io.millrace.protocol.JsonSerde;
import io.millrace.protocol.Stores;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The read side of the pipeline as a pure factory: the same topology runs in
 * {@link ResultsApiService} and in the TopologyTestDriver tests.
 *
 * <pre>
 * millrace.results ──▶ results-by-request (latest result per request id)
 *                        └─ with batch id ─▶ repartition by batch id ─▶ batch-counts (add new, subtract old)
 * millrace.batches ──▶ batches-by-id (each batch's events merged: fields once set stay set)
 * </pre>
 *
 * Every store, repartition topic and processor is named, so internal topic names survive changes
 * to the topology and restarts keep their state.
 */
public final class ResultsTopology {
    /** The table processors; Kafka names their source nodes {@code <name>-source}. */
    public static final String RESULTS_TABLE = "results-table";
    public static final String BATCHES_TABLE = "batches-table";
    public static final String MERGE_BATCHES = "merge-batches";
    public static final String RESULTS_WITH_BATCH = "results-with-batch";
    /** Name of the repartition topic (prefixed by the application id) and its processors. */
    public static final String RESULTS_BY_BATCH = "results-by-batch";
    public static final String COUNT_RESULTS = "count-results";

    public static final JsonSerde<BatchCounts> COUNTS_SERDE = new JsonSerde<>(BatchCounts.class);

    private ResultsTopology() {}

    public static Topology build() {
        StreamsBuilder builder = new StreamsBuilder();
        KTable<String, ResultEvent> results = builder.table(Topics.RESULTS.name(),
                Consumed.with(Topics.RESULTS.keySerde(), Topics.RESULTS.valueSerde()).withName(RESULTS_TABLE),
                Materialized.<String, ResultEvent, KeyValueStore<Bytes, byte[]>>as(Stores.RESULTS_BY_REQUEST)
                        .withKeySerde(Topics.RESULTS.keySerde())
                        .withValueSerde(Topics.RESULTS.valueSerde()));

        // Reduced rather than read as a table: every batch event only sets fields, and a writer may
        // publish from a stale copy (a cancel read before the batch went in progress, an ingest that
        // missed a cancel), so the store keeps the merge of all of a batch's events, not the last.
        builder.stream(Topics.BATCHES.name(),
                        Consumed.with(Topics.BATCHES.keySerde(), Topics.BATCHES.valueSerde()).withName(BATCHES_TABLE))
                .groupByKey(Grouped.with(Topics.BATCHES.keySerde(), Topics.BATCHES.valueSerde()))
                .reduce((earlier, later) -> later.mergedAfter(earlier), Named.as(MERGE_BATCHES),
                        Materialized.<String, BatchEvent, KeyValueStore<Bytes, byte[]>>as(Stores.BATCHES_BY_ID)
                                .withKeySerde(Topics.BATCHES.keySerde())
                                .withValueSerde(Topics.BATCHES.valueSerde()));

        // Lone requests (no batch id) have no batch to count towards. Filtering the table, rather
        // than relying on groupBy dropping null keys, keeps the old value of an update visible to
        // the subtractor in every case.
        results.filter((requestId, r) -> r.batchId() != null, Named.as(RESULTS_WITH_BATCH))
                // Grouping a KTable sends the old and the new value of an update, so the
                // subtractor removes a superseded result before the adder counts its replacement:
                // a result re-published under the same request id is never counted twice.
                .groupBy((requestId, r) -> KeyValue.pair(r.batchId(), r),
                        Grouped.with(RESULTS_BY_BATCH, Topics.RESULTS.keySerde(), Topics.RESULTS.valueSerde()))
                .aggregate(() -> BatchCounts.NONE,
                        (batchId, r, counts) -> counts.plus(r),
                        (batchId, r, counts) -> counts.minus(r),
                        Named.as(COUNT_RESULTS),
                        Materialized.<String, BatchCounts, KeyValueStore<Bytes, byte[]>>as(Stores.BATCH_COUNTS)
                                .withKeySerde(Topics.KEYS)
                                .withValueSerde(COUNTS_SERDE));
        return builder.build();
    }
}
