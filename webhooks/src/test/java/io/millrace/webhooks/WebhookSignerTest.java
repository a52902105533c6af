package io.millrace.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebhookSignerTest {
    // The example of the Standard Webhooks specification (and its libraries' tests).
    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long TS = 1614265330L;
    private static final byte[] BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);

    @Test
    void matchesTheSpecificationsExample() {
        assertThat(WebhookSigner.sign(SECRET, ID, TS, BODY)).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void signsWithEverySecretDuringRotation() {
        String other = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
        String header = WebhookSigner.header(List.of(other, SECRET), ID, TS, BODY);
        assertThat(header.split(" ")).containsExactly(WebhookSigner.sign(other, ID, TS, BODY),
                "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void theSignatureCoversIdTimestampAndBody() {
        String s = WebhookSigner.sign(SECRET, ID, TS, BODY);
        assertThat(WebhookSigner.sign(SECRET, ID + "x", TS, BODY)).isNotEqualTo(s);
        assertThat(WebhookSigner.sign(SECRET, ID, TS + 1, BODY)).isNotEqualTo(s);
        assertThat(WebhookSigner.sign(SECRET, ID, TS, "{}".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(s);
    }

    @Test
    void refusesWhatIsNotASecret() {
        assertThatThrownBy(() -> WebhookSigner.sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ID, TS, BODY))
                .hasMessageContaining("whsec_");
        assertThatThrownBy(() -> WebhookSigner.header(List.of(), ID, TS, BODY)).hasMessageContaining("rotate");
    }
}
