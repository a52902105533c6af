package io.millrace.router;

import static io.millrace.router.Requests.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.events.RequestEvent;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The cache key policy: what is cacheable, and what the key does and does not depend on. */
class CacheKeysTest {
    private static final CacheKeys PER_TENANT = new CacheKeys(Map.of("m", "id-1", "n", "id-2"), false);
    private static final String BODY = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0}";

    @Test
    void greedyOrSeededRequestsAreCacheableOthersNot() {
        assertThat(CacheKeys.cacheable(json("{\"temperature\":0}"))).isTrue();
        assertThat(CacheKeys.cacheable(json("{\"temperature\":0.0}"))).isTrue();
        assertThat(CacheKeys.cacheable(json("{\"temperature\":1,\"seed\":3}"))).isTrue();
        assertThat(CacheKeys.cacheable(json("{}"))).as("OpenAI's default temperature is 1").isFalse();
        assertThat(CacheKeys.cacheable(json("{\"temperature\":0.2}"))).isFalse();
        assertThat(CacheKeys.cacheable(json("{\"temperature\":\"0\"}"))).isFalse();
        assertThat(CacheKeys.cacheable(json("{\"seed\":1.5}"))).isFalse();
    }

    @Test
    void everySamplingParameterAndMessageChangesTheKey() {
        String base = key(BODY, "m", null).orElseThrow();
        assertThat(key(BODY.replace("Hi", "Ho"), "m", null)).get().isNotEqualTo(base);
        assertThat(key(BODY.replace("}", ",\"max_tokens\":4}").replace("}],", "}],"), "m", null)).get().isNotEqualTo(base);
        assertThat(key(BODY.replace("\"temperature\":0", "\"temperature\":0,\"top_p\":0.5"), "m", null)).get().isNotEqualTo(base);
        assertThat(key(BODY.replace("\"temperature\":0", "\"temperature\":0,\"stop\":[\".\"]"), "m", null)).get().isNotEqualTo(base);
        assertThat(key(BODY.replace("\"temperature\":0", "\"temperature\":0,\"seed\":1"), "m", null)).get().isNotEqualTo(base);
    }

    @Test
    void theModelsIdentityTheTenantAndTheEndpointChangeTheKey() {
        String base = key(BODY, "m", null).orElseThrow();
        assertThat(key(BODY, "n", null)).get().isNotEqualTo(base);
        assertThat(new CacheKeys(Map.of("m", "id-1b"), false).keyOf(event(BODY, "m", null))).get().isNotEqualTo(base);
        assertThat(key(BODY, "m", "acme")).get().isNotEqualTo(base).isNotEqualTo(key(BODY, "m", "globex").orElseThrow());
        RequestEvent legacy = new RequestEvent("r", null, null, null, "POST", ChatRequestValidator.COMPLETIONS, json(BODY), "m", 1L);
        assertThat(PER_TENANT.keyOf(legacy)).get().isNotEqualTo(base);
    }

    @Test
    void spellingModelNameUserAndDeliveryDoNotChangeTheKey() {
        String base = key(BODY, "m", null).orElseThrow();
        String same = "{ \"temperature\" : 0.000, \"messages\":[{\"content\":\"Hi\",\"role\":\"user\"}], \"model\":\"alias\","
                + "\"user\":\"u1\",\"metadata\":{\"k\":\"v\"},\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        assertThat(key(same, "m", null)).contains(base);
    }

    @Test
    void aSharedCacheIgnoresTheTenant() {
        CacheKeys shared = new CacheKeys(Map.of("m", "id-1"), true);
        assertThat(shared.keyOf(event(BODY, "m", "acme"))).isEqualTo(shared.keyOf(event(BODY, "m", "globex")));
    }

    @Test
    void hugeExponentsAreKeyedWithoutExpandingThem() {
        assertThat(key(BODY.replace("\"temperature\":0", "\"temperature\":0,\"x\":1e999999999"), "m", null)).isPresent();
        assertThat(key(BODY.replace("\"temperature\":0", "\"temperature\":0,\"x\":1e400"), "m", null)).isPresent();
    }

    @Test
    void aModelWithoutAnIdentityIsNotCached() {
        assertThat(key(BODY, "unknown", null)).isEmpty();
    }

    private static Optional<String> key(String body, String model, String tenant) {
        return PER_TENANT.keyOf(event(body, model, tenant));
    }

    private static RequestEvent event(String body, String model, String tenant) {
        return new RequestEvent("r", null, null, null, "POST", ChatRequestValidator.CHAT_COMPLETIONS, json(body), model, 1L, tenant);
    }
}
