package io.millrace.infra;

import io.millrace.protocol.Ids;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.results.CancelPublisher;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code millrace cancel BATCH_ID}: publishes the batch's event again with {@code cancelled_at}
 * set. Workers then answer its queued and running requests with {@code batch_cancelled}; results
 * already committed stay, as OpenAI returns finished work of a cancelled batch.
 */
@Command(name = "cancel",
        description = {"Cancel a batch's queued and running requests.",
                "They are answered batch_cancelled; results already committed are kept."})
final class CancelCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "BATCH_ID", description = "the id millrace batch printed")
    String batchId;

    @Mixin
    ClusterOptions cluster;

    private final PrintStream out;
    private final Map<String, String> env;

    CancelCommand(PrintStream out, Map<String, String> env) {
        this.out = out;
        this.env = env;
    }

    @Override
    public Integer call() throws IOException {
        run();
        return 0;
    }

    /** Cancels the batch whose id picocli has set, and returns its cancelled state. */
    BatchEvent run() throws IOException {
        String id = Ids.checkBatchId(batchId);
        try (Deployment deployment = Deployment.client(settings())) {
            BatchEvent batch = latest(deployment.bootstrapServers(), id).orElseThrow(() -> new IllegalArgumentException(
                    "no batch with id " + id + " on " + deployment.bootstrapServers()
                            + ": check the id printed by millrace batch (and --bootstrap-servers)"));
            if (batch.cancelled()) {
                out.println("batch " + id + " was already cancelled");
                return batch;
            }
            BatchEvent cancelled = batch.cancel(Clock.systemUTC().millis());
            // The same writer as POST /v1/batches/{id}/cancel: one place publishes cancellations.
            try (CancelPublisher publisher = new CancelPublisher(deployment.bootstrapServers())) {
                publisher.publish(cancelled);
            }
            out.println("batch " + id + " cancelling: queued and running requests will be answered batch_cancelled");
            return cancelled;
        }
    }

    /** Cancel runs no stage: it only reads and writes the batches topic. */
    Settings settings() {
        return cluster.settings(env);
    }

    /** The latest event of the batch on the compacted batches topic. */
    static Optional<BatchEvent> latest(String bootstrapServers, String batchId) {
        BatchEvent[] found = {null};
        TopicScan.toEnd(bootstrapServers, Topics.BATCHES.name(), r -> {
            if (batchId.equals(r.key()) && r.value() != null) {
                try {
                    found[0] = Topics.BATCH_SERDE.deserializer().deserialize(r.topic(), r.value());
                } catch (RuntimeException e) {
                    // A foreign record under this key is not a batch state; the last valid one is.
                }
            }
        });
        return Optional.ofNullable(found[0]);
    }

}
