package io.millrace.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Ids;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.events.RequestOutcome;
import java.nio.charset.StandardCharsets;
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

    @Test
    void aLineWhoseUrlIsNotTheBatchsEndpointIsRejectedNamingBoth() {
        BatchLineParser completionsBatch = new BatchLineParser("batch_x",
                new ChatRequestValidator(ModelCatalog.of(new ModelCatalog.Entry("tiny", 512))),
                Clock.fixed(Instant.ofEpochMilli(1000), ZoneOffset.UTC), "/v1/completions");

        RequestOutcome chat = completionsBatch.parse(1, line("a", OK_BODY));
        RequestOutcome legacy = completionsBatch.parse(2, "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/completions\","
                + "\"body\":{\"model\":\"tiny\",\"prompt\":\"Hi\",\"max_tokens\":4}}");

        assertThat(chat).isInstanceOf(RequestOutcome.Rejected.class);
        ResultEvent r = ((RequestOutcome.Rejected) chat).error();
        assertThat(r.error().code()).isEqualTo("invalid_url");
        assertThat(r.error().param()).isEqualTo("url");
        assertThat(r.error().message()).contains("/v1/chat/completions").contains("/v1/completions").startsWith("line 1");
        assertThat(legacy).isInstanceOf(RequestOutcome.Accepted.class);
    }

    private ResultEvent rejected(long n, String text) {
        RequestOutcome o = parser.parse(n, text);
        assertThat(o).isInstanceOf(RequestOutcome.Rejected.class);
        ResultEvent r = ((RequestOutcome.Rejected) o).error();
        assertThat(r.error().line()).isEqualTo(n);
        assertThat(r.batchId()).isEqualTo("batch_x");
        assertThat(r.statusCode()).isEqualTo(400);
        return r;
    }

    @Test
    void acceptsAValidLineKeyedByBatchAndCustomId() {
        RequestOutcome o = parser.parse(1, line("a", OK_BODY));
        assertThat(o).isInstanceOf(RequestOutcome.Accepted.class);
        var req = ((RequestOutcome.Accepted) o).request();
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
        assertThat(parser.parse(1, line("a", OK_BODY))).isInstanceOf(RequestOutcome.Accepted.class);
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

    /** Issue #8: Jackson's limit exceptions have no location, and the parser used to assume one. */
    @Test
    void aLineNestedDeeperThanTheLimitIsOneErrorWithItsColumn() {
        ResultEvent r = rejected(1, "[".repeat(5000) + "]".repeat(5000));

        assertThat(r.error().code()).isEqualTo(ErrorCodes.REQUEST_TOO_LARGE);
        assertThat(r.error().message()).contains("line 1").contains("column").contains(InputLimits.MAX_DEPTH + " levels")
                .doesNotContain("StreamReadConstraints");
        assertThat(parser.parse(2, line("next", OK_BODY))).isInstanceOf(RequestOutcome.Accepted.class);
    }

    @Test
    void aNumberLongerThanTheLimitNamesTheLimit() {
        ResultEvent r = rejected(1, line("n", OK_BODY.replace("\"max_tokens\":8", "\"seed\":" + "9".repeat(500))));

        assertThat(r.error().code()).isEqualTo(ErrorCodes.REQUEST_TOO_LARGE);
        assertThat(r.error().message()).contains(InputLimits.MAX_NUMBER_CHARS + " characters");
    }

    @Test
    void somethingAfterTheObjectIsNotOneLine() {
        assertThat(rejected(1, line("a", OK_BODY) + " {}").error().code()).isEqualTo(ErrorCodes.INVALID_JSON);
    }

    @Test
    void bytesThatAreNotUtf8AreAnsweredWithTheirPosition() {
        byte[] bytes = line("a", OK_BODY).replace("Hi", "H\u0000").getBytes(StandardCharsets.UTF_8);
        int at = line("a", OK_BODY).indexOf("Hi") + 1;
        bytes[at] = (byte) 0xC3;

        RequestOutcome o = parser.parse(new BatchFile.Line(3, bytes.length, bytes));

        ResultEvent r = ((RequestOutcome.Rejected) o).error();
        assertThat(r.error().code()).isEqualTo(ErrorCodes.INVALID_JSON);
        assertThat(r.error().message()).contains("line 3 is not valid UTF-8").contains("byte " + (at + 1));
    }

    @Test
    void aLineFoundTooLongByTheFileIsAnsweredByItsLength() {
        RequestOutcome o = parser.parse(new BatchFile.Line(9, 5_000_000L, null));

        ResultEvent r = ((RequestOutcome.Rejected) o).error();
        assertThat(r.error().code()).isEqualTo(ErrorCodes.REQUEST_TOO_LARGE);
        assertThat(r.error().message()).contains("line 9 is 5000000 bytes");
        assertThat(r.error().line()).isEqualTo(9L);
    }

    @Test
    void aWholeNumberTooLargeForLongDoesNotWrapIntoRange() {
        // 2^64 + 5: asLong() reads 5, which passed the max_tokens check before.
        ResultEvent r = rejected(1, line("w", OK_BODY.replace("\"max_tokens\":8", "\"max_tokens\":18446744073709551621")));

        assertThat(r.error().code()).isEqualTo(ErrorCodes.INVALID_MAX_TOKENS);
        ResultEvent n = rejected(2, line("n", OK_BODY.replace("\"max_tokens\":8", "\"n\":4294967297")));
        assertThat(n.error().code()).isEqualTo(ErrorCodes.INVALID_PARAMETER);
    }

    @Test
    void anOverlongCustomIdIsAnsweredUnderTheLineNumber() {
        ResultEvent r = rejected(4, line("x".repeat(InputLimits.MAX_ID_CHARS + 1), OK_BODY));

        assertThat(r.requestId()).isEqualTo(Ids.requestIdForLine("batch_x", 4));
        assertThat(r.error().param()).isEqualTo("custom_id");
    }

    @Test
    void aBodyThatGrowsPastTheEventLimitWhenWrittenAgainIsAnswered() {
        // 1e6 is written back as 1000000.0: three times as long.
        int n = (InputLimits.MAX_LINE_BYTES - 200) / 4;
        String body = OK_BODY.replace("\"max_tokens\":8", "\"max_tokens\":8,\"extra\":[" + "1e6,".repeat(n) + "1]");

        ResultEvent r = rejected(1, line("g", body));

        assertThat(r.error().code()).isEqualTo(ErrorCodes.REQUEST_TOO_LARGE);
        assertThat(r.error().message()).contains("request event of");
    }
}
