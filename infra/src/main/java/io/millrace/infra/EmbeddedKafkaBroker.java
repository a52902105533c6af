package io.millrace.infra;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft broker (combined broker and controller) in this JVM, used when no cluster
 * is given. Its storage is formatted on first start and kept across restarts, so results and the
 * dedup store survive: a second run of the same batch finds them.
 *
 * <p>Settings are those a one-broker cluster needs for transactions and exactly-once streams
 * (replication factor 1 for the internal topics, transaction log min ISR 1); topics are never
 * created automatically, only from the registry by {@link TopicProvisioner}.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String CONTROLLER = "CONTROLLER";

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path dataDir;

    private EmbeddedKafkaBroker(KafkaRaftServer server, String bootstrapServers, Path dataDir) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.dataDir = dataDir;
    }

    /**
     * Starts the broker.
     *
     * @param dataDir where the log lives; formatted when it holds no broker data yet
     * @param port    client port; 0 picks a free one (tests)
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        int clientPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        ensurePortFree(clientPort);
        Path logDir = dataDir.toAbsolutePath().resolve("kafka");
        Properties props = brokerProperties(logDir, clientPort, controllerPort);
        KafkaConfig config = KafkaConfig.fromProps(props, false);
        try {
            Files.createDirectories(logDir);
            formatIfNew(logDir);
        } catch (Exception e) {
            throw new IllegalStateException("cannot prepare Kafka storage in " + logDir + ": " + e.getMessage()
                    + " (delete the directory to start from empty, or pass --data-dir elsewhere)", e);
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            try {
                // Release what did start (threads, sockets, the log directory lock), so a retry can.
                server.shutdown();
                server.awaitShutdown();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new IllegalStateException("the in-process Kafka broker did not start on port " + clientPort + " with data in "
                    + logDir + ": " + e.getMessage()
                    + ". Is another Millrace using that directory? Then pass --bootstrap-servers localhost:" + clientPort
                    + " to use it, or --data-dir to use another one.", e);
        }
        String bootstrap = "localhost:" + clientPort;
        log.info("in-process Kafka broker started at {} (data in {})", bootstrap, logDir);
        return new EmbeddedKafkaBroker(server, bootstrap, dataDir);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path dataDir() {
        return dataDir;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        log.info("in-process Kafka broker stopped");
    }

    static Properties brokerProperties(Path logDir, int clientPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@localhost:" + controllerPort);
        p.put("listeners", "PLAINTEXT://localhost:" + clientPort + "," + CONTROLLER + "://localhost:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://localhost:" + clientPort);
        p.put("controller.listener.names", CONTROLLER);
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER + ":PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        // One broker: internal topics cannot have more replicas than that.
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("offsets.topic.num.partitions", "6");
        p.put("transaction.state.log.num.partitions", "6");
        // A single process joins its groups at once; waiting for more members only delays start.
        p.put("group.initial.rebalance.delay.ms", "0");
        // Topics come only from the registry, with their settings: a typo must not create one.
        p.put("auto.create.topics.enable", "false");
        p.put("log.segment.bytes", Integer.toString(64 * 1024 * 1024));
        return p;
    }

    private static void formatIfNew(Path logDir) throws Exception {
        if (Files.exists(logDir.resolve("meta.properties"))) {
            return;
        }
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .setDirectories(List.of(logDir.toString()))
                .setMetadataLogDirectory(logDir.toString())
                .setControllerListenerName(CONTROLLER)
                .setReleaseVersion(MetadataVersion.latestProduction())
                .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                .run();
        log.info("formatted new Kafka storage in {}", logDir);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free TCP port on this machine", e);
        }
    }

    private static void ensurePortFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress("localhost", port));
        } catch (IOException e) {
            throw new IllegalStateException("port " + port + " is in use, so the in-process Kafka broker cannot start there. "
                    + "If a Millrace (or another Kafka) is running there, pass --bootstrap-servers localhost:" + port
                    + " to use it; otherwise pick another port with --kafka-port.");
        }
    }
}
