package io.millrace.worker;

import java.util.Locale;
import java.util.Map;

/**
 * The Kafka client overrides ({@code consumer.*}, {@code producer.*}) that would break the worker's
 * exactly-once results, refused at start with the reason. A result is committed in one transaction
 * with the offset of its request ({@link GenerationWorker}); that rests on the consumer reading
 * only committed requests and committing nothing by itself, on the producer being transactional
 * and idempotent under an id stable per worker, and on every worker sharing one group. Overrides that
 * restate what the worker sets anyway (e.g. {@code consumer.isolation.level=read_committed}) pass.
 */
final class ExactlyOnceOverrides {
    private ExactlyOnceOverrides() {}

    /** @throws IllegalArgumentException naming the first override that would break exactly-once, why, and what to do instead */
    static void check(Map<String, Object> overrides) {
        requireValue(overrides, "consumer.isolation.level", "read_committed",
                "the worker would generate requests of router transactions that were aborted, and answer them twice");
        requireValue(overrides, "consumer.enable.auto.commit", "false",
                "offsets would be committed outside the results' transactions, so a crash could lose requests or answer them twice");
        requireValue(overrides, "producer.enable.idempotence", "true",
                "a transactional producer must be idempotent, or a retried send could write a result twice");
        Object acks = overrides.get("producer.acks");
        if (acks != null && !acks.toString().trim().equals("all") && !acks.toString().trim().equals("-1")) {
            throw refused("producer.acks", acks, "a result must be on every in-sync replica before its transaction commits;"
                    + " remove the setting (the worker uses all)");
        }
        refuseAny(overrides, "producer.transactional.id", "the worker derives it from --instance-id, so that a restarted worker"
                + " fences its predecessor's open transaction; set --instance-id instead");
        refuseAny(overrides, "consumer.group.id", "every worker must share the group " + WorkerService.GROUP_ID
                + " to split the requests among them; another group would generate every request again");
        refuseAny(overrides, "consumer.group.instance.id", "the worker derives it from --instance-id; set --instance-id instead");
    }

    private static void requireValue(Map<String, Object> overrides, String key, String safe, String why) {
        Object v = overrides.get(key);
        if (v != null && !v.toString().trim().toLowerCase(Locale.ROOT).equals(safe)) {
            throw refused(key, v, why + "; remove the setting (the worker uses " + safe + ")");
        }
    }

    private static void refuseAny(Map<String, Object> overrides, String key, String why) {
        Object v = overrides.get(key);
        if (v != null) {
            throw refused(key, v, why);
        }
    }

    private static IllegalArgumentException refused(String key, Object value, String why) {
        return new IllegalArgumentException(key + "=" + value + " is refused: it would break exactly-once results: " + why);
    }
}
