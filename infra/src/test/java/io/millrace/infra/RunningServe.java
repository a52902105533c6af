package io.millrace.infra;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.function.Function;

/** A {@code serve} with every role on a test Kafka, for the ITs that use it as its clients do. */
final class RunningServe implements AutoCloseable {
    private final TestKafka kafka;
    private final Deployment deployment;

    private RunningServe(TestKafka kafka, Deployment deployment) {
        this.kafka = kafka;
        this.deployment = deployment;
    }

    /** @param settings the serve's settings, given the test broker's bootstrap servers */
    static RunningServe start(Path dir, Function<String, Settings> settings) throws Exception {
        TestKafka kafka = TestKafka.start(dir.resolve("broker"));
        try {
            Deployment d = Deployment.start(settings.apply(kafka.bootstrapServers()), EnumSet.allOf(Role.class));
            d.awaitRunning(Duration.ofSeconds(60));
            return new RunningServe(kafka, d);
        } catch (Exception | AssertionError e) {
            kafka.close();
            throw e;
        }
    }

    Deployment deployment() {
        return deployment;
    }

    @Override
    public void close() throws Exception {
        try {
            deployment.close();
        } finally {
            kafka.close();
        }
    }
}
