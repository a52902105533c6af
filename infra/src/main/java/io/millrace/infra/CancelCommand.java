package io.millrace.infra;

import io.millrace.protocol.Ids;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.results.CancelPublisher;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Optional;
import java.util.Set;

/**
 * {@code millrace cancel BATCH_ID}: publishes the batch's event again with {@code cancelled_at}
 * set. Workers then answer its queued and running requests with {@code batch_cancelled}; results
 * already committed stay, as OpenAI returns finished work of a cancelled batch.
 */
final class CancelCommand {
    static final String USAGE = "usage: millrace cancel BATCH_ID [--bootstrap-servers HOST:PORT] [--data-dir DIR] [--kafka-port PORT]";
    static final Set<String> OPTIONS = Set.of("bootstrap-servers", "data-dir", "kafka-port", "model-dir");

    private final PrintStream out;

    CancelCommand(PrintStream out) {
        this.out = out;
    }

    BatchEvent run(Args args) throws IOException {
        if (args.positionals().size() != 1) {
            throw new Args.UsageException("millrace cancel takes exactly one batch id\n" + USAGE);
        }
        String batchId = Ids.checkBatchId(args.positionals().get(0));
        try (Deployment deployment = Deployment.connect(Settings.from(args, 0))) {
            BatchEvent batch = latest(deployment.bootstrapServers(), batchId).orElseThrow(() -> new IllegalArgumentException(
                    "no batch with id " + batchId + " on " + deployment.bootstrapServers()
                            + ": check the id printed by millrace batch (and --bootstrap-servers)"));
            if (batch.cancelled()) {
                out.println("batch " + batchId + " was already cancelled");
                return batch;
            }
            BatchEvent cancelled = batch.cancel(Clock.systemUTC().millis());
            // The same writer as POST /v1/batches/{id}/cancel: one place publishes cancellations.
            try (CancelPublisher publisher = new CancelPublisher(deployment.bootstrapServers())) {
                publisher.publish(cancelled);
            }
            out.println("batch " + batchId + " cancelling: queued and running requests will be answered batch_cancelled");
            return cancelled;
        }
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
