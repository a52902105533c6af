package io.millrace.results;

import io.millrace.protocol.ApiKeys;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.ApiKeyEvent;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The API keys every instance knows: {@code millrace.api-keys} followed from its beginning, so a
 * key created or revoked by {@code millrace keys} on any machine takes effect on every instance
 * within a poll. Only hashes are held; a presented key is checked in constant time.
 */
final class KeyRing implements AutoCloseable {
    /** Who is calling: the key's id, tenant and limits. */
    record Caller(String keyId, String tenant, long rpm, long tpm) {}

    private final Map<String, ApiKeyEvent> keys = new ConcurrentHashMap<>();
    private final TopicFollower follower;

    KeyRing(String bootstrapServers, Duration loadTimeout) {
        follower = new TopicFollower(bootstrapServers, Topics.API_KEYS.name(), TopicFollower.From.BEGINNING, r -> {
            if (r.key() == null) {
                return;
            }
            if (r.value() == null) {
                keys.remove(r.key()); // a tombstone: the key is gone
            } else {
                keys.put(r.key(), Topics.API_KEY_SERDE.deserializer().deserialize(r.topic(), r.value()));
            }
        });
        try {
            // Serving before the keys are known would refuse every good key with a 401.
            if (!follower.awaitCaughtUp(loadTimeout)) {
                follower.close();
                throw new IllegalStateException("could not read the API keys on " + Topics.API_KEYS.name() + " within "
                        + loadTimeout.toSeconds() + " s: check that Kafka is reachable");
            }
        } catch (InterruptedException e) {
            follower.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading the API keys", e);
        }
    }

    /**
     * The caller of an {@code Authorization} header, or why there is none.
     *
     * @return the caller, or an error answer (401) saying what is wrong with the header
     */
    Result authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return Result.refused(ApiError.missingKey());
        }
        String presented = authorization.regionMatches(true, 0, "Bearer ", 0, 7) ? authorization.substring(7).trim() : "";
        Optional<String[]> parts = ApiKeys.split(presented);
        ApiKeyEvent stored = parts.map(p -> keys.get(p[0])).orElse(null);
        if (stored == null || !ApiKeys.matches(stored, parts.get()[1])) {
            return Result.refused(ApiError.badKey(presented));
        }
        if (stored.revoked()) {
            return Result.refused(ApiError.revokedKey(stored.keyId()));
        }
        return new Result(new Caller(stored.keyId(), stored.tenant(), stored.rpm(), stored.tpm()), null);
    }

    /** Either a caller or the 401 to answer. */
    record Result(Caller caller, ApiError refusal) {
        static Result refused(ApiError e) {
            return new Result(null, e);
        }
    }

    boolean running() {
        return follower.running();
    }

    @Override
    public void close() {
        follower.close();
    }
}
