package io.millrace.results;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchCreateRequestTest {
    private static BatchCreateRequest parse(String body) {
        return BatchCreateRequest.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    /** The answer to a body, as the client sees it: status, code, param. */
    private static String refusal(String body) {
        try {
            parse(body);
            throw new AssertionError("accepted: " + body);
        } catch (BatchCreateRequest.Invalid e) {
            assertThat(e.error.type()).isEqualTo("invalid_request_error");
            return e.error.status() + " " + e.error.code() + " " + e.error.param();
        }
    }

    private static String body(String window, String metadata) {
        return "{\"input_file_id\":\"file-1\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":" + window
                + (metadata == null ? "" : ",\"metadata\":" + metadata) + "}";
    }

    @Test
    void acceptsOpenAisBody() {
        assertThat(parse(body("\"24h\"", "{\"project\":\"demo\"}")))
                .isEqualTo(new BatchCreateRequest("file-1", "/v1/chat/completions", "24h", Map.of("project", "demo")));
        assertThat(parse(body("\"24h\"", null)).metadata()).isNull();
        assertThat(parse(body("\"24h\"", "null")).metadata()).isNull();
    }

    @Test
    void refusesWithTheParamToFix() {
        assertThat(refusal("not json")).isEqualTo("400 invalid_json null");
        assertThat(refusal("[1]")).isEqualTo("400 invalid_json null");
        assertThat(refusal("{\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"))
                .isEqualTo("400 missing_required_parameter input_file_id");
        assertThat(refusal("{\"input_file_id\":7,\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}"))
                .isEqualTo("400 invalid_type input_file_id");
        assertThat(refusal("{\"input_file_id\":\"f\",\"completion_window\":\"24h\"}")).isEqualTo("400 missing_required_parameter endpoint");
        assertThat(refusal(body("\"24h\"", null).replace("/v1/chat/completions", "/v1/embeddings")))
                .isEqualTo("400 invalid_value endpoint");
        assertThat(refusal(body("\"48h\"", null))).isEqualTo("400 invalid_value completion_window");
        assertThat(BatchCreateRequest.parse(body("\"24h\"", null).replace("/v1/chat/completions", "/v1/completions")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)).endpoint()).as("legacy completions batches too")
                .isEqualTo("/v1/completions");
        assertThat(refusal("{\"input_file_id\":\"f\",\"endpoint\":\"/v1/chat/completions\"}"))
                .isEqualTo("400 missing_required_parameter completion_window");
    }

    @Test
    void metadataHasOpenAisLimits() {
        StringBuilder sixteen = new StringBuilder("{");
        for (int i = 0; i < 16; i++) {
            sixteen.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":\"v\"");
        }
        assertThat(parse(body("\"24h\"", sixteen + "}")).metadata()).hasSize(16);
        assertThat(refusal(body("\"24h\"", sixteen + ",\"k16\":\"v\"}"))).isEqualTo("400 invalid_value metadata");
        assertThat(parse(body("\"24h\"", "{\"" + "k".repeat(64) + "\":\"" + "v".repeat(512) + "\"}")).metadata()).hasSize(1);
        assertThat(refusal(body("\"24h\"", "{\"" + "k".repeat(65) + "\":\"v\"}"))).isEqualTo("400 invalid_value metadata");
        assertThat(refusal(body("\"24h\"", "{\"k\":\"" + "v".repeat(513) + "\"}"))).isEqualTo("400 invalid_value metadata");
        assertThat(refusal(body("\"24h\"", "{\"k\":1}"))).isEqualTo("400 invalid_type metadata");
        assertThat(refusal(body("\"24h\"", "[]"))).isEqualTo("400 invalid_type metadata");
    }

    @Test
    void aBudgetThatIsNoPositiveNumberIsRefusedAtCreation() {
        assertThat(parse(body("\"24h\"", "{\"budget_usd\":\"2.50\"}")).metadata()).containsEntry("budget_usd", "2.50");
        for (String bad : new String[] {"\"\"", "\"abc\"", "\"0\"", "\"-1\"", "\"NaN\"", "\"Infinity\"", "\"1e999\""}) {
            assertThat(refusal(body("\"24h\"", "{\"budget_usd\":" + bad + "}"))).as(bad)
                    .isEqualTo("400 invalid_value metadata.budget_usd");
        }
        assertThatThrownBy(() -> parse(body("\"24h\"", "{\"budget_usd\":\"lots\"}"))).hasMessageContaining("'lots'")
                .hasMessageContaining("a number above 0, e.g. \"2.50\"");
    }
}
