package io.millrace.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.ResultEvent;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ResultRowTest {
    private static final String ID = "0b7c5ad4-3c34-4b55-9d0c-2b8f3f6c1a01";

    @Test
    void aCompletionIsTheResponseBodyWithItsUsage() throws Exception {
        var body = Json.parse("{\"object\": \"chat.completion\", \"usage\": {\"total_tokens\": 3}}");
        ResultRow row = ResultRow.of(new ResultEvent(ID, "b", "c", null, "m", 200, body, null, true, 42, null),
                CdcConfig.WriteBack.TABLE);

        assertThat(row.requestId()).isEqualTo(UUID.fromString(ID));
        assertThat(row.response()).isEqualTo(Json.write(body));
        assertThat(row.usage()).isEqualTo("{\"total_tokens\":3}");
        assertThat(row.error()).isNull();
        assertThat(row.completedAt()).isEqualTo(42);
    }

    @Test
    void errorsAreWhereTheBatchOutputLinePutsThem() {
        // An answered request: the error body in response, as OpenAI's output file has it.
        ResultRow answered = ResultRow.of(new ResultEvent(ID, null, null, null, null, 400, null,
                ErrorInfo.of(ErrorCodes.MODEL_NOT_FOUND, "no such model"), false, 1, null), CdcConfig.WriteBack.TABLE);
        assertThat(answered.response()).contains("\"code\":\"model_not_found\"").contains("invalid_request_error");
        assertThat(answered.error()).isNull();
        // A failure with no answer at all (too large to be a request): the top-level error.
        ResultRow unanswered = ResultRow.of(new ResultEvent(ID, null, null, null, null, 400, null,
                ErrorInfo.of(ErrorCodes.REQUEST_TOO_LARGE, "too large"), false, 1, null), CdcConfig.WriteBack.TABLE);
        assertThat(unanswered.response()).isNull();
        assertThat(unanswered.error()).contains("\"code\":\"request_too_large\"");
    }

    @Test
    void resultsOfOtherEntryPointsAreWrittenOnlyWhenAskedUnderAStableId() {
        ResultEvent fromFile = new ResultEvent("batch_1:a", "batch_1", "a", 1L, "m", 200, Json.object(), null, true, 1, null);
        assertThat(ResultRow.of(fromFile, CdcConfig.WriteBack.TABLE)).isNull();
        ResultRow all = ResultRow.of(fromFile, CdcConfig.WriteBack.ALL);
        assertThat(all.requestId()).isEqualTo(ResultRow.of(fromFile, CdcConfig.WriteBack.ALL).requestId());
        assertThat(all.millraceRequestId()).isEqualTo("batch_1:a");
        // Only the canonical spelling is a row id: an upper-case one would not match its row's text.
        assertThat(ResultRow.uuid(ID.toUpperCase())).isNull();
        assertThat(ResultRow.uuid(ID)).isEqualTo(UUID.fromString(ID));
    }
}
