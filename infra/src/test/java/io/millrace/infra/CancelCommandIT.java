package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code millrace cancel} against a broker: it republishes the batch's latest event with cancelled_at. */
class CancelCommandIT {
    @TempDir
    Path dir;

    @Test
    void cancelsTheLatestStateOfABatchAndSaysWhenThereIsNone() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir.resolve("broker"), 0);
                Deployment d = Deployment.connect(new Settings(broker.bootstrapServers(), dir, 0, 0, List.of(), null));
                KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                        new StringSerializer(), new StringSerializer())) {
            p.send(new ProducerRecord<>(Topics.BATCHES.name(), "b1", "{\"batch_id\":\"b1\",\"total\":3,\"created_at\":5}")).get();
            p.send(new ProducerRecord<>(Topics.BATCHES.name(), "b1", "not a batch event")).get(); // skipped, not fatal
            BatchEvent cancelled = Commands.parse(CancelCommand.class, "cancel", "b1", "--bootstrap-servers",
                    broker.bootstrapServers(), "--data-dir", dir.toString()).run();

            assertThat(cancelled.cancelled()).isTrue();
            assertThat(cancelled.total()).isEqualTo(3);
            assertThat(CancelCommand.latest(broker.bootstrapServers(), "b1")).contains(cancelled);
            CancelCommand unknown = Commands.parse(CancelCommand.class, "cancel", "nope", "--bootstrap-servers",
                    broker.bootstrapServers(), "--data-dir", dir.toString());
            assertThatThrownBy(unknown::run)
                    .hasMessageContaining("no batch with id nope");
        }
    }
}
