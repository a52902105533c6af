package io.millrace.infra;

import java.nio.file.Path;

/**
 * The Kafka an integration test runs on: the in-process KRaft broker by default; a Testcontainers
 * Kafka when {@code MILLRACE_IT_KAFKA=testcontainers} is set on a machine with a Docker engine.
 */
final class TestKafka implements AutoCloseable {
    private final AutoCloseable broker;
    private final String bootstrapServers;

    private TestKafka(AutoCloseable broker, String bootstrapServers) {
        this.broker = broker;
        this.bootstrapServers = bootstrapServers;
    }

    static TestKafka start(Path dataDir) {
        if ("testcontainers".equals(System.getenv("MILLRACE_IT_KAFKA"))) {
            org.testcontainers.kafka.KafkaContainer kafka =
                    new org.testcontainers.kafka.KafkaContainer("apache/kafka:4.1.0");
            kafka.start();
            return new TestKafka(kafka::stop, kafka.getBootstrapServers());
        }
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0);
        return new TestKafka(broker, broker.bootstrapServers());
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() throws Exception {
        broker.close();
    }
}
