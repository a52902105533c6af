package io.millrace.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class BatchIngestorTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(5_000), ZoneOffset.UTC);

    private static String line(String customId) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":4}}";
    }

    @Test
    void publishesEveryLineOfAStreamUnderTheBatchTenant() throws Exception {
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        BatchIngestor ingestor = new BatchIngestor(producer,
                new ChatRequestValidator(ModelCatalog.of(new ModelCatalog.Entry("tiny", 512))), CLOCK);
        byte[] content = (line("a") + "\n\nnot json\n" + line("b")).getBytes(StandardCharsets.UTF_8);

        BatchIngestor.Submitted s = ingestor.publishLines(c -> BatchFile.forEachLine(new ByteArrayInputStream(content), c),
                "batch_x", "acme", Set.of());

        assertThat(s).isEqualTo(new BatchIngestor.Submitted("batch_x", 3, 2, 1));
        List<ProducerRecord<String, byte[]>> sent = producer.history();
        List<RequestEvent> requests = sent.stream().filter(r -> r.topic().equals(Topics.REQUESTS.name()))
                .map(r -> Topics.REQUEST_SERDE.deserializer().deserialize(r.topic(), r.value())).toList();
        List<ResultEvent> errors = sent.stream().filter(r -> r.topic().equals(Topics.RESULTS.name()))
                .map(r -> Topics.RESULT_SERDE.deserializer().deserialize(r.topic(), r.value())).toList();
        assertThat(requests).extracting(RequestEvent::requestId).containsExactly("batch_x:a", "batch_x:b");
        assertThat(requests).extracting(RequestEvent::tenant).containsOnly("acme");
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.tenant()).isEqualTo("acme");
            assertThat(e.line()).isEqualTo(3L); // the blank line 2 is counted in line numbers, not in the total
            assertThat(e.requestId()).isEqualTo("batch_x#line-3");
        });
        // No batch event: the file ingestor announces the batch once its lines are out.
        assertThat(sent).noneMatch(r -> r.topic().equals(Topics.BATCHES.name()));

        BatchEvent created = BatchEvent.ofFile("batch_x", "/v1/chat/completions", "file-1", "24h", 1_000, 2_000, null, "acme");
        ingestor.publishBatch(created.inProgress(s.total(), CLOCK.millis()));
        BatchEvent published = Topics.BATCH_SERDE.deserializer().deserialize("t", producer.history().get(sent.size()).value());
        assertThat(published.total()).isEqualTo(3);
        assertThat(published.inProgressAt()).isEqualTo(5_000L);
        assertThat(published.validating()).isFalse();
    }
}
