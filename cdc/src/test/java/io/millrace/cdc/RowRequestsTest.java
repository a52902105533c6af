package io.millrace.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RequestOutcome;
import org.junit.jupiter.api.Test;

class RowRequestsTest {
    private static final String ID = "0b7c5ad4-3c34-4b55-9d0c-2b8f3f6c1a01";

    @Test
    void aRowBecomesABatchLaneRequestKeyedByItsId() {
        CapturedRow row = new CapturedRow(ID, "acme", "nightly", "c-1", "/v1/chat/completions",
                "{\"model\": \"millrace-tiny\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", 1_700_000_000_000L);

        RequestOutcome o = RowRequests.of(row, 5);

        assertThat(o).isInstanceOf(RequestOutcome.Accepted.class);
        RequestEvent r = ((RequestOutcome.Accepted) o).request();
        assertThat(r.requestId()).isEqualTo(ID);
        assertThat(r.tenant()).isEqualTo("acme");
        assertThat(r.batchId()).isEqualTo("nightly");
        assertThat(r.customId()).isEqualTo("c-1");
        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.requestedModel()).isEqualTo("millrace-tiny");
        assertThat(r.submittedAt()).isEqualTo(1_700_000_000_000L);
        assertThat(r.interactive()).isFalse();
    }

    @Test
    void whatTheRouterJudgesIsPublishedForItToAnswer() {
        // Not a request (an array), an unknown model: the router's validation answers them as for any entry point.
        assertThat(RowRequests.of(new CapturedRow(ID, null, "", null, "/v1/chat/completions", "[1, 2]", 0), 5))
                .isInstanceOf(RequestOutcome.Accepted.class);
        assertThat(RowRequests.of(new CapturedRow(ID, null, null, null, "/v1/chat/completions", "{\"model\": \"nope\"}", 0), 5))
                .isInstanceOf(RequestOutcome.Accepted.class);
    }

    @Test
    void aBodyNoRequestEventCanCarryIsAnsweredAtOnce() {
        String big = "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"" + "x".repeat(InputLimits.MAX_LINE_BYTES)
                + "\"}]}";
        RequestOutcome o = RowRequests.of(new CapturedRow(ID, "acme", "b", "c", "/v1/chat/completions", big, 0), 5);

        assertThat(o).isInstanceOf(RequestOutcome.Rejected.class);
        var error = ((RequestOutcome.Rejected) o).error();
        assertThat(error.requestId()).isEqualTo(ID);
        assertThat(error.statusCode()).isEqualTo(400);
        assertThat(error.tenant()).isEqualTo("acme");
        assertThat(error.error().code()).isEqualTo(ErrorCodes.REQUEST_TOO_LARGE);
        assertThat(error.error().message()).contains("row " + ID + " of millrace_requests").contains("shorten");

        String deep = "[".repeat(InputLimits.MAX_DEPTH + 1) + "]".repeat(InputLimits.MAX_DEPTH + 1);
        assertThat(RowRequests.of(new CapturedRow(ID, null, null, null, "/v1/chat/completions", deep, 0), 5))
                .isInstanceOfSatisfying(RequestOutcome.Rejected.class,
                        r -> assertThat(r.error().error().message()).contains("nested deeper"));
        assertThat(RowRequests.of(new CapturedRow(ID, null, null, null, "/v1/chat/completions", null, 0), 5))
                .isInstanceOfSatisfying(RequestOutcome.Rejected.class,
                        r -> assertThat(r.error().error().code()).isEqualTo(ErrorCodes.INVALID_BODY));
    }
}
