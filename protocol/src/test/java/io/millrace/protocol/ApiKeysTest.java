package io.millrace.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.events.ApiKeyEvent;
import org.junit.jupiter.api.Test;

class ApiKeysTest {
    @Test
    void anIssuedKeyMatchesItsStoredHashAndNothingElse() {
        ApiKeys.Issued issued = ApiKeys.issue("acme", 60, 10_000, 1_000L);
        String[] parts = ApiKeys.split(issued.key()).orElseThrow();

        assertThat(parts[0]).isEqualTo(issued.event().keyId()).startsWith("key_");
        assertThat(ApiKeys.matches(issued.event(), parts[1])).isTrue();
        assertThat(ApiKeys.matches(issued.event(), parts[1].substring(1) + "x")).isFalse();
        assertThat(issued.event().hash()).doesNotContain(parts[1]).hasSize(64);
        assertThat(issued.event().tenant()).isEqualTo("acme");
        assertThat(issued.event().rpm()).isEqualTo(60);
        assertThat(issued.event().revoked()).isFalse();
    }

    @Test
    void twoKeysDiffer() {
        assertThat(ApiKeys.issue("t", 0, 0, 0).key()).isNotEqualTo(ApiKeys.issue("t", 0, 0, 0).key());
    }

    @Test
    void onlyKeyShapedStringsSplit() {
        assertThat(ApiKeys.split("sk-proj-abc")).isEmpty();
        assertThat(ApiKeys.split(null)).isEmpty();
        assertThat(ApiKeys.split("mr-key_abcdefghijkl-" + "a".repeat(31))).isEmpty();
        assertThat(ApiKeys.split("mr-key_abcdefghijkl-" + "a".repeat(32))).isPresent();
    }

    @Test
    void badTenantsAndLimitsSayWhatToFix() {
        assertThatThrownBy(() -> ApiKeys.issue("no spaces", 0, 0, 0)).hasMessageContaining("letters, digits");
        assertThatThrownBy(() -> ApiKeys.issue("t", -1, 0, 0)).hasMessageContaining("--rpm");
    }

    @Test
    void revokingKeepsEverythingElseAndIsIdempotent() {
        ApiKeyEvent key = ApiKeys.issue("t", 1, 2, 3).event();
        ApiKeyEvent revoked = key.revoke(10);

        assertThat(revoked.revokedAt()).isEqualTo(10);
        assertThat(revoked.hash()).isEqualTo(key.hash());
        assertThat(revoked.revoke(20)).isSameAs(revoked);
    }

    @Test
    void eventsRoundTripWithTheirTenant() {
        ApiKeyEvent key = ApiKeys.issue("t", 1, 2, 3).event();
        byte[] bytes = Topics.API_KEY_SERDE.serializer().serialize("x", key);
        assertThat(Topics.API_KEY_SERDE.deserializer().deserialize("x", bytes)).isEqualTo(key);

        var request = new io.millrace.protocol.events.RequestEvent("r", null, null, null, "POST", "/v1/chat/completions",
                null, null, 5L).withTenant("acme");
        var back = Topics.REQUEST_SERDE.deserializer().deserialize("x", Topics.REQUEST_SERDE.serializer().serialize("x", request));
        assertThat(back.tenant()).isEqualTo("acme");
        assertThat(Json.write(request)).contains("\"tenant\":\"acme\"");
    }
}
