package io.millrace.infra;

import io.millrace.protocol.Topic;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the registry's topics that are missing and checks those that exist. A topic with fewer
 * partitions than the registry says breaks co-partitioning (dedup relies on it), so that stops
 * the start; a topic-level setting that differs is reported and left as the operator set it.
 */
public final class TopicProvisioner {
    private static final Logger log = LoggerFactory.getLogger(TopicProvisioner.class);

    private TopicProvisioner() {}

    /** Returns the mismatches found on existing topics (empty when all is as the registry says). */
    public static List<String> provision(Admin admin, Collection<Topic<?, ?>> topics) {
        try {
            Set<String> existing = admin.listTopics().names().get();
            int brokers = admin.describeCluster().nodes().get().size();
            short replication = (short) Math.min(3, brokers);
            List<NewTopic> missing = topics.stream().filter(t -> !existing.contains(t.name()))
                    .map(t -> new NewTopic(t.name(), t.partitions(), replication).configs(t.configs()))
                    .collect(Collectors.toList());
            Set<String> raced = missing.isEmpty() ? Set.of() : createAll(admin, missing);
            if (missing.size() > raced.size()) {
                List<String> created = missing.stream().map(NewTopic::name).filter(n -> !raced.contains(n)).toList();
                log.info("created topics {}", created);
                awaitLeaders(admin, created);
            }
            // Topics another process created meanwhile are checked like any that existed before.
            List<Topic<?, ?>> present = topics.stream()
                    .filter(t -> existing.contains(t.name()) || raced.contains(t.name())).toList();
            List<String> problems = checkWhenVisible(admin, present);
            List<String> fatal = problems.stream().filter(p -> p.contains("partitions")).toList();
            problems.forEach(p -> log.warn("topic settings differ from the registry: {}", p));
            if (!fatal.isEmpty()) {
                throw new IllegalStateException(String.join("; ", fatal));
            }
            return problems;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot create or check topics: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Waits (up to 15 s) until every partition of the topics just created has a leader: a stage that
     * starts at once (the router's global store of millrace.health) otherwise may find no partitions
     * yet and stop.
     */
    private static void awaitLeaders(Admin admin, List<String> created) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                Map<String, TopicDescription> d = admin.describeTopics(created).allTopicNames().get();
                if (d.values().stream().allMatch(t -> !t.partitions().isEmpty()
                        && t.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()))) {
                    return;
                }
            } catch (ExecutionException e) {
                // not described yet: ask again
            }
            Thread.sleep(100);
        }
        log.warn("topics {} still have partitions without a leader after 15 s", created);
    }

    /** Creates the topics; returns those that turned out to exist already. */
    private static Set<String> createAll(Admin admin, List<NewTopic> missing) throws InterruptedException, ExecutionException {
        Set<String> raced = new java.util.HashSet<>();
        for (var entry : admin.createTopics(missing).values().entrySet()) {
            try {
                entry.getValue().get();
            } catch (ExecutionException e) {
                // Another process of the deployment created it between our list and create (or the
                // list did not show it yet): it exists, so it must be checked, not assumed right.
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
                raced.add(entry.getKey());
            }
        }
        return raced;
    }

    /**
     * A topic created a moment ago may not be described by every broker yet ("does not host this
     * topic-partition"): such retriable answers are retried for a few seconds.
     */
    private static List<String> checkWhenVisible(Admin admin, List<Topic<?, ?>> topics)
            throws InterruptedException, ExecutionException {
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            try {
                return check(admin, topics);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException) || System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    private static List<String> check(Admin admin, List<Topic<?, ?>> topics) throws InterruptedException, ExecutionException {
        List<String> problems = new ArrayList<>();
        if (topics.isEmpty()) {
            return problems;
        }
        Map<String, TopicDescription> descriptions =
                admin.describeTopics(topics.stream().map(Topic::name).toList()).allTopicNames().get();
        List<ConfigResource> resources = topics.stream()
                .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name())).toList();
        Map<ConfigResource, Config> configs = admin.describeConfigs(resources).all().get();
        for (Topic<?, ?> t : topics) {
            int partitions = descriptions.get(t.name()).partitions().size();
            if (partitions != t.partitions()) {
                problems.add("topic " + t.name() + " has " + partitions + " partitions but Millrace needs " + t.partitions()
                        + " (requests are co-partitioned by request id): recreate it with " + t.partitions() + " partitions");
            }
            Config actual = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
            t.configs().forEach((key, want) -> {
                ConfigEntry entry = actual.get(key);
                String have = entry == null ? null : entry.value();
                if (!want.equals(have)) {
                    problems.add("topic " + t.name() + " has " + key + "=" + have + " but Millrace expects " + key + "=" + want
                            + ": change it with kafka-configs --alter --entity-type topics --entity-name " + t.name()
                            + " --add-config " + key + "=" + want);
                }
            });
        }
        return problems;
    }
}
