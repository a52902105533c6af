package io.millrace.protocol.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.events.WebhookEndpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookEventIdsTest {

    @Test
    void theSameStateChangeAlwaysHasTheSameId() {
        String id = WebhookEventIds.forBatch("batch_1", WebhookEventTypes.BATCH_COMPLETED);
        assertThat(id).startsWith("evt_").hasSize(36).isEqualTo(WebhookEventIds.forBatch("batch_1", "batch.completed"));
        // Pinned: ids must not change across versions, or receivers would see old events as new.
        // (computed independently: "evt_" + sha256("request\n3:b:c\nrequest.failed")[:32] in Python)
        assertThat(WebhookEventIds.forRequest("b:c", WebhookEventTypes.REQUEST_FAILED))
                .isEqualTo("evt_03bf568db4f7950e6a7852455cd92271");
    }

    @Test
    void differentChangesHaveDifferentIds() {
        assertThat(List.of(
                WebhookEventIds.forBatch("batch_1", WebhookEventTypes.BATCH_COMPLETED),
                WebhookEventIds.forBatch("batch_1", WebhookEventTypes.BATCH_CANCELLED),
                WebhookEventIds.forBatch("batch_2", WebhookEventTypes.BATCH_COMPLETED),
                WebhookEventIds.forRequest("batch_1", WebhookEventTypes.BATCH_COMPLETED),
                WebhookEventIds.forRequest("batch_1:a", WebhookEventTypes.REQUEST_COMPLETED),
                WebhookEventIds.forRequest("batch_1:a", WebhookEventTypes.REQUEST_FAILED))).doesNotHaveDuplicates();
    }

    @Test
    void secretsAreStandardWebhooksSecrets() {
        String s = WebhookSecrets.generate();
        assertThat(s).startsWith("whsec_");
        assertThat(WebhookSecrets.key(s)).hasSize(32);
        assertThat(WebhookSecrets.generate()).isNotEqualTo(s);
    }

    @Test
    void rotationKeepsTheOldSecretSigningForTheGracePeriod() {
        WebhookEndpoint e = new WebhookEndpoint("whep_1", "t", "https://x.example/", List.of("batch.completed"), null,
                List.of(new WebhookEndpoint.Secret("whsec_old", null)), 0, null, null);
        WebhookEndpoint rotated = e.rotate("whsec_new", 1_000, 500);
        assertThat(rotated.signingSecrets(1_000)).containsExactly("whsec_new", "whsec_old");
        assertThat(rotated.signingSecrets(1_499)).containsExactly("whsec_new", "whsec_old");
        assertThat(rotated.signingSecrets(1_500)).containsExactly("whsec_new");
        // A second rotation after the grace drops the expired secret altogether.
        assertThat(rotated.rotate("whsec_3", 2_000, 500).secrets()).extracting(WebhookEndpoint.Secret::value)
                .containsExactly("whsec_3", "whsec_new");
    }
}
