package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerIT {
    @TempDir
    Path dir;

    @Test
    void createsRegistryTopicsAndKeepsDataAcrossRestarts() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0);
                Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            assertThat(TopicProvisioner.provision(admin, Topics.all(List.of("tiny")))).isEmpty();
            assertThat(admin.listTopics().names().get()).contains("millrace.requests", "millrace.results",
                    "millrace.batches", "millrace.requests-dlt", "millrace.gen.tiny");
            // A second start of the same deployment finds everything as the registry says.
            assertThat(TopicProvisioner.provision(admin, Topics.all(List.of("tiny")))).isEmpty();
            try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                    new StringSerializer(), new StringSerializer())) {
                p.send(new ProducerRecord<>(Topics.BATCHES.name(), "k", "kept")).get();
            }
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0);
                KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                        new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(Topics.BATCHES.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.currentTimeMillis() + 20_000;
            String found = null;
            while (found == null && System.currentTimeMillis() < deadline) {
                ConsumerRecords<String, String> records = c.poll(Duration.ofMillis(500));
                for (var r : records) {
                    found = r.value();
                }
            }
            assertThat(found).isEqualTo("kept");
        }
    }

    @Test
    void reportsExistingTopicsWithWrongSettings() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dir, 0);
                Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(Topics.RESULTS.name(), Topics.RESULTS.partitions(), (short) 1)
                    .configs(Map.of("cleanup.policy", "delete")))).all().get();
            List<String> problems = TopicProvisioner.provision(admin, List.of(Topics.RESULTS));
            assertThat(problems).singleElement().asString()
                    .contains("millrace.results").contains("cleanup.policy=delete").contains("cleanup.policy=compact");

            admin.createTopics(List.of(new NewTopic(Topics.REQUESTS.name(), 2, (short) 1))).all().get();
            assertThatThrownBy(() -> TopicProvisioner.provision(admin, List.of(Topics.REQUESTS)))
                    .hasMessageContaining("has 2 partitions but Millrace needs 6");
            assertThat(admin.listTopics().names().get()).containsAll(Set.of(Topics.REQUESTS.name()));
        }
    }

    @Test
    void aPortInUseIsExplained() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0)) {
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(dir, taken.getLocalPort()))
                    .hasMessageContaining("port " + taken.getLocalPort() + " is in use").hasMessageContaining("--bootstrap-servers");
        }
    }
}
