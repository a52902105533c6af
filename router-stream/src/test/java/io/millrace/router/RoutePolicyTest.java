package io.millrace.router;

import static io.millrace.router.Requests.CATALOG;
import static io.millrace.router.Requests.bytes;
import static io.millrace.router.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RouteInfo;
import io.millrace.protocol.events.ResultEvent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RoutePolicyTest {
    private static final long NOW = 42_000L;
    private final RoutePolicy policy = new RoutePolicy(CATALOG);

    @Test
    void routesAValidRequestToItsModelWithTheModelSet() {
        RequestEvent in = request("r1", "b1", "millrace-small");

        RouteDecision d = policy.decide("r1", bytes(in), NOW);

        assertThat(d).isEqualTo(new RouteDecision.Route("r1",
                in.withRoute(new RouteInfo("millrace-small", "millrace-small", RouteInfo.DIRECT))));
    }

    @Test
    void routesAnAliasToItsServedModelKeepingTheRequestedNameInTheBody() {
        RoutePolicy aliased = new RoutePolicy(CATALOG.withAliases(java.util.Map.of("gpt-4o-mini", "millrace-small")));
        RequestEvent in = request("r1", null, "gpt-4o-mini");

        RequestEvent routed = ((RouteDecision.Route) aliased.decide("r1", bytes(in), NOW)).event();

        assertThat(routed.model()).isEqualTo("millrace-small");
        assertThat(routed.requestedModel()).isEqualTo("gpt-4o-mini");
        assertThat(routed.route()).as("why, for the result").isEqualTo(new RouteInfo("gpt-4o-mini", "millrace-small", RouteInfo.ALIAS));
        assertThat(reject(policy.decide("r1", bytes(in), NOW), "r1").error().code())
                .as("without the alias").isEqualTo(ErrorCodes.MODEL_NOT_FOUND);
    }

    @Test
    void routingOverridesAModelTheProducerSetItself() {
        RequestEvent in = request("r1", null, "millrace-tiny").withModel("something-else");

        RouteDecision d = policy.decide("r1", bytes(in), NOW);

        assertThat(((RouteDecision.Route) d).event().model()).isEqualTo("millrace-tiny");
    }

    @Test
    void rejectsAnUnknownModelWithTheValidatorsErrorAndNoModel() {
        RequestEvent in = request("r1", "b1", "gpt-9");

        ResultEvent result = reject(policy.decide("r1", bytes(in), NOW), "r1");

        assertThat(result.error().code()).isEqualTo(ErrorCodes.MODEL_NOT_FOUND);
        assertThat(result.error().message()).contains("gpt-9").contains("millrace-tiny");
        assertThat(result.error().line()).isEqualTo(1L);
        assertThat(result).extracting(ResultEvent::statusCode, ResultEvent::batchId, ResultEvent::customId,
                ResultEvent::model, ResultEvent::generated, ResultEvent::completedAt)
                .containsExactly(400, "b1", "custom-r1", null, false, NOW);
    }

    @Test
    void answersAValueThatIsNotJsonUnderTheKey() {
        ResultEvent result = reject(policy.decide("k1", utf8("not json"), NOW), "k1");

        assertThat(result.requestId()).isEqualTo("k1");
        assertThat(result.statusCode()).isEqualTo(400);
        assertThat(result.error().code()).isEqualTo(ErrorCodes.INVALID_JSON);
        assertThat(result.error().message())
                .contains("Unrecognized token 'not'")
                .contains("line 1, column")
                .contains("the value must be a JSON request event as in the README \"Topic contract\"");
    }

    @Test
    void answersJsonThatIsNotARequestEventUnderTheKey() {
        assertThat(reject(policy.decide("k1", utf8("[1,2]"), NOW), "k1").error().code())
                .isEqualTo(ErrorCodes.INVALID_JSON);
        assertThat(reject(policy.decide("k1", utf8("null"), NOW), "k1").error().message()).contains("JSON null");
        assertThat(reject(policy.decide("k1", null, NOW), "k1").error().message()).contains("empty");
        assertThat(reject(policy.decide("k1", utf8("{\"request_id\":\"k1\",\"submitted_at\":\"soon\"}"), NOW), "k1")
                .error().message()).contains("submitted_at");
    }

    @Test
    void rejectsTwoEventsConcatenatedInOneValue() {
        byte[] one = bytes(request("k1", null, "millrace-tiny"));
        byte[] two = new byte[one.length * 2];
        System.arraycopy(one, 0, two, 0, one.length);
        System.arraycopy(one, 0, two, one.length, one.length);

        assertThat(reject(policy.decide("k1", two, NOW), "k1").error().code()).isEqualTo(ErrorCodes.INVALID_JSON);
    }

    @Test
    void deadLettersAnUndecodableValueWithoutAKey() {
        assertThat(policy.decide(null, utf8("not json"), NOW)).isInstanceOf(RouteDecision.DeadLetter.class);
        assertThat(policy.decide(" ", utf8("not json"), NOW)).isInstanceOf(RouteDecision.DeadLetter.class);
    }

    @Test
    void answersAKeyMismatchUnderTheKey() {
        ResultEvent result = reject(policy.decide("other", bytes(request("r1", "b1", "millrace-tiny")), NOW), "other");

        assertThat(result.requestId()).isEqualTo("other");
        assertThat(result.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST_ID);
        assertThat(result.error().param()).isEqualTo("request_id");
        assertThat(result.error().message()).startsWith("record key must equal request_id")
                .contains("'other'").contains("produce it with key 'r1'");
        assertThat(result.batchId()).isEqualTo("b1");
    }

    @Test
    void answersAMissingKeyUnderTheRequestId() {
        ResultEvent result = reject(policy.decide(null, bytes(request("r1", null, "millrace-tiny")), NOW), "r1");

        assertThat(result.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST_ID);
        assertThat(result.error().message()).contains("has no key");
    }

    @Test
    void answersAMissingRequestIdUnderTheKey() {
        ResultEvent result = reject(policy.decide("k1", bytes(request(" ", null, "millrace-tiny")), NOW), "k1");

        assertThat(result.requestId()).isEqualTo("k1");
        assertThat(result.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST_ID);
        assertThat(result.error().message()).contains("request_id is missing");
    }

    @Test
    void deadLettersARequestWithNeitherKeyNorRequestId() {
        assertThat(policy.decide(null, bytes(request(null, null, "millrace-tiny")), NOW))
                .isInstanceOf(RouteDecision.DeadLetter.class)
                .extracting(RouteDecision::requestId).isNull();
    }

    @Test
    void boundsHowMuchOfAnIdAnErrorMessageRepeats() {
        String longKey = "k".repeat(InputLimits.MAX_ID_CHARS);

        ResultEvent result = reject(policy.decide(longKey, bytes(request("r1", null, "millrace-tiny")), NOW), longKey);

        assertThat(result.error().message()).hasSizeLessThan(600);
    }

    @Test
    void answersUnderTheRequestIdWhenTheKeyIsTooLongToAnswerUnder() {
        String tooLong = "k".repeat(InputLimits.MAX_ID_CHARS + 1);

        ResultEvent result = reject(policy.decide(tooLong, bytes(request("r1", null, "millrace-tiny")), NOW), "r1");

        assertThat(result.error().code()).isEqualTo(ErrorCodes.INVALID_REQUEST_ID);
        assertThat(result.error().message()).hasSizeLessThan(600);
    }

    private static ResultEvent reject(RouteDecision decision, String requestId) {
        assertThat(decision).isInstanceOf(RouteDecision.Reject.class);
        assertThat(decision.requestId()).isEqualTo(requestId);
        ResultEvent result = ((RouteDecision.Reject) decision).result();
        assertThat(result.requestId()).isEqualTo(requestId);
        assertThat(result.succeeded()).isFalse();
        return result;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
