package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RetryScheduleTest {
    private static final RequestEvent REQUEST = new RequestEvent("r", null, "r", null, "POST", "/v1/chat/completions", null, "m", 0);

    @Test
    void defaultsToTheContractsTiersAndParsesUnits() {
        assertThat(RetrySchedule.from(Map.of()).delaysMs()).containsExactly(1_000L, 10_000L, 60_000L);
        assertThat(RetrySchedule.from(Map.of(RetrySchedule.DELAYS, "250ms, 2s,3m,1h")).delaysMs())
                .containsExactly(250L, 2_000L, 180_000L, 3_600_000L);
        assertThat(RetrySchedule.from(Map.of(RetrySchedule.DELAYS, "90000")).delaysMs()).as("a bare number is ms")
                .containsExactly(90_000L);
        assertThat(RetrySchedule.from(Map.of(RetrySchedule.DELAYS, "none")).delays()).isEmpty();
    }

    @Test
    void rejectsWhatCannotBeATierWithAMessageThatSaysWhatToWrite() {
        assertThatThrownBy(() -> RetrySchedule.from(Map.of(RetrySchedule.DELAYS, "1s,soon")))
                .hasMessageContaining("'soon' is not a delay").hasMessageContaining("1s,10s,60s");
        assertThatThrownBy(() -> RetrySchedule.from(Map.of(RetrySchedule.DELAYS, "10s,1s")))
                .hasMessageContaining("increasing order");
        assertThatThrownBy(() -> RetrySchedule.from(Map.of(RetrySchedule.DELAYS, "1s,1000ms")))
                .as("equal delays would share one topic").hasMessageContaining("not longer");
        assertThatThrownBy(() -> RetrySchedule.from(Map.of(RetrySchedule.DELAYS, "0s"))).hasMessageContaining("from 1ms to 24h");
        assertThatThrownBy(() -> RetrySchedule.from(Map.of(RetrySchedule.DELAYS, "25h"))).hasMessageContaining("from 1ms to 24h");
        assertThatThrownBy(() -> RetrySchedule.from(Map.of(RetrySchedule.DELAYS, "1,2,3,4,5,6,7,8,9,10,11")))
                .hasMessageContaining("at most 10");
    }

    @Test
    void eachFailureTakesTheNextTierThenNone() {
        RetrySchedule s = new RetrySchedule(List.of(Duration.ofSeconds(1), Duration.ofSeconds(10)));
        assertThat(s.afterFailure(1)).contains(Duration.ofSeconds(1));
        assertThat(s.afterFailure(2)).contains(Duration.ofSeconds(10));
        assertThat(s.afterFailure(3)).as("spent: the dead-letter topic").isEmpty();
        assertThat(RetrySchedule.none().afterFailure(1)).isEmpty();
        assertThat(s.topics("m")).containsExactly("millrace.gen.m-retry-1000", "millrace.gen.m-retry-10000");
    }

    @Test
    void onlyFailuresOfTheGenerationItselfAreRetried() {
        assertThat(RetrySchedule.retriable(failure(500, ErrorCodes.GENERATION_FAILED))).isTrue();
        assertThat(RetrySchedule.retriable(failure(500, ErrorCodes.INTERNAL_ERROR))).isTrue();
        assertThat(RetrySchedule.retriable(failure(400, ErrorCodes.CONTEXT_LENGTH_EXCEEDED))).isFalse();
        assertThat(RetrySchedule.retriable(failure(400, ErrorCodes.INVALID_BODY))).isFalse();
        assertThat(RetrySchedule.retriable(failure(404, ErrorCodes.MODEL_NOT_FOUND))).isFalse();
        assertThat(RetrySchedule.retriable(failure(499, ErrorCodes.REQUEST_CANCELLED))).isFalse();
        assertThat(RetrySchedule.retriable(failure(500, ErrorCodes.RESULT_TOO_LARGE))).isFalse();
    }

    @Test
    void aProviderRefusingOurKeyIsNotRetriedButIsTheModelsFailure() {
        ResultEvent refusedKey = failure(502, ErrorCodes.REMOTE_REJECTED);
        assertThat(RetrySchedule.retriable(refusedKey)).isFalse();
        assertThat(RetrySchedule.refusedByProvider(refusedKey)).isTrue();
        assertThat(RetrySchedule.refusedByProvider(failure(400, ErrorCodes.REMOTE_REJECTED)))
                .as("a request the provider found bad is the client's fault").isFalse();
        assertThat(RetrySchedule.refusedByProvider(failure(500, ErrorCodes.GENERATION_FAILED))).isFalse();
    }

    private static ResultEvent failure(int status, String code) {
        return ResultEvent.failure(REQUEST, status, ErrorInfo.of(code, "x"), 0);
    }
}
