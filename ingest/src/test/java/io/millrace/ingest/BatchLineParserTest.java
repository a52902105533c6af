package io.millrace.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Ids;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.ResultEvent;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class BatchLineParserTest {
    private static final String OK_BODY = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":8}";
    private final BatchLineParser parser = new BatchLineParser("batch_x",
            new ChatRequestValidator(ModelCatalog.of(new ModelCatalog.Entry("tiny", 512))),
            Clock.fixed(Instant.ofEpochMilli(1000), ZoneOffset.UTC));

    private static String line(String customId, String body) {
        return "{\"custom_id\":" + (customId == null ? "null" : "\"" + customId + "\"")
                + ",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":" + body + "}";
    }

    private ResultEvent rejected(long n, String text) {
        LineOutcome o = parser.parse(n, text);
        assertThat(o).isInstanceOf(LineOutcome.Rejected.class);
        ResultEvent r = ((LineOutcome.Rejected) o).error();
        assertThat(r.error().line()).isEqualTo(n);
        assertThat(r.batchId()).isEqualTo("batch_x");
        assertThat(r.statusCode()).isEqualTo(400);
        return r;
    }

    @Test
    void acceptsAValidLineKeyedByBatchAndCustomId() {
        LineOutcome o = parser.parse(1, line("a", OK_BODY));
        assertThat(o).isInstanceOf(LineOutcome.Accepted.class);
        var req = ((LineOutcome.Accepted) o).request();
        assertThat(req.requestId()).isEqualTo(Ids.requestId("batch_x", "a"));
        assertThat(req.line()).isEqualTo(1L);
        assertThat(req.submittedAt()).isEqualTo(1000L);
        assertThat(req.body().get("max_tokens").asInt()).isEqualTo(8);
    }

    @Test
    void notJsonSaysWhereTheParserStopped() {
        ResultEvent r = rejected(4, "{\"custom_id\": \"a\", oops}");
        assertThat(r.error().code()).isEqualTo(ErrorCodes.INVALID_JSON);
        assertThat(r.error().message()).contains("line 4").contains("column");
        assertThat(r.requestId()).isEqualTo(Ids.requestIdForLine("batch_x", 4));
        assertThat(rejected(5, "[1,2]").error().code()).isEqualTo(ErrorCodes.INVALID_JSON);
    }

    @Test
    void aLineTooLargeForOneRecordIsAnsweredNotPublished() {
        String huge = line("big", OK_BODY.replace("Hi", "x".repeat(BatchLineParser.MAX_LINE_BYTES)));
        ResultEvent r = rejected(3, huge);
        assertThat(r.error().code()).isEqualTo(ErrorCodes.REQUEST_TOO_LARGE);
        assertThat(r.error().message()).contains("line 3").contains("shorten");
    }

    @Test
    void missingCustomId() {
        assertThat(rejected(2, line(null, OK_BODY)).error().code()).isEqualTo(ErrorCodes.MISSING_CUSTOM_ID);
    }

    @Test
    void repeatedCustomIdIsAnsweredUnderItsLineAndTheFirstStillCounts() {
        assertThat(parser.parse(1, line("a", OK_BODY))).isInstanceOf(LineOutcome.Accepted.class);
        ResultEvent dup = rejected(2, line("a", OK_BODY));
        assertThat(dup.error().code()).isEqualTo(ErrorCodes.DUPLICATE_CUSTOM_ID);
        assertThat(dup.customId()).isEqualTo("a");
        assertThat(dup.requestId()).isEqualTo(Ids.requestIdForLine("batch_x", 2)).isNotEqualTo(Ids.requestId("batch_x", "a"));
    }

    @Test
    void bodyProblemsCarryTheValidatorsCodeAndTheLine() {
        assertThat(rejected(3, line("m", OK_BODY.replace("tiny", "gpt-9"))).error().code()).isEqualTo(ErrorCodes.MODEL_NOT_FOUND);
        assertThat(rejected(4, line("r", OK_BODY.replace("user", "robot"))).error().code()).isEqualTo(ErrorCodes.INVALID_ROLE);
        assertThat(rejected(5, line("e", "{\"model\":\"tiny\",\"messages\":[]}")).error().code()).isEqualTo(ErrorCodes.MISSING_MESSAGES);
        ResultEvent big = rejected(6, line("t", OK_BODY.replace("\"max_tokens\":8", "\"max_tokens\":-3")));
        assertThat(big.error().code()).isEqualTo(ErrorCodes.INVALID_MAX_TOKENS);
        assertThat(big.error().message()).startsWith("line 6: ");
        assertThat(big.requestId()).isEqualTo(Ids.requestId("batch_x", "t"));
        ResultEvent url = rejected(7, line("u", OK_BODY).replace("/v1/chat/completions", "/v1/edits"));
        assertThat(url.error().code()).isEqualTo(ErrorCodes.INVALID_URL);
    }
}
