package io.millrace.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ChatRequestValidatorTest {
    private final ChatRequestValidator validator =
            new ChatRequestValidator(ModelCatalog.of(new ModelCatalog.Entry("tiny", 512)));

    private Optional<ErrorInfo> validate(String url, String body) throws Exception {
        JsonNode b = body == null ? null : Json.parse(body);
        return validator.validate(new RequestEvent("b:1", "b", "1", 1L, "POST", url, b, null, 0));
    }

    @Test
    void acceptsAValidRequest() throws Exception {
        assertThat(validate("/v1/chat/completions", """
                {"model":"tiny","messages":[{"role":"system","content":"Be brief."},
                 {"role":"user","content":[{"type":"text","text":"Hi"}]}],
                 "max_tokens":16,"temperature":0.7,"top_p":0.9,"n":2,"seed":5,"stop":["\\n"]}""")).isEmpty();
    }

    @Test
    void aLoneRequestMayBeStreamedButNotABatchLine() throws Exception {
        String body = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":%s}";
        assertThat(validator.validate(new RequestEvent("r", null, null, null, "POST", "/v1/chat/completions",
                Json.parse(body.formatted("true")), null, 0))).isEmpty();
        assertThat(validator.validate(new RequestEvent("r", null, null, null, "POST", "/v1/chat/completions",
                Json.parse(body.formatted("\"yes\"")), null, 0))).get().extracting(e -> e.param()).isEqualTo("stream");
        assertThat(validate("/v1/chat/completions", body.formatted("true"))).get().extracting(e -> e.param()).isEqualTo("stream");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/v1/embeddings | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | invalid_url | url",
        "/v1/chat/completions | {\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | model_not_found | model",
        "/v1/chat/completions | {\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} | model_not_found | model",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[]} | missing_messages | messages",
        "/v1/chat/completions | {\"model\":\"tiny\"} | missing_messages | messages",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]} | invalid_role | messages[0].role",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":5}]} | invalid_content | messages[0].content",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0} | invalid_max_tokens | max_tokens",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2.5} | invalid_max_tokens | max_tokens",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":100000} | invalid_max_tokens | max_completion_tokens",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":3} | invalid_parameter | temperature",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":0} | invalid_parameter | n",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[1]} | invalid_parameter | stop",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream\":true} | invalid_parameter | stream",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_k\":-2} | invalid_parameter | top_k",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_k\":1.5} | invalid_parameter | top_k",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"presence_penalty\":2.5} | invalid_parameter | presence_penalty",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"frequency_penalty\":-3} | invalid_parameter | frequency_penalty",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":1} | invalid_parameter | logprobs",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":true,\"top_logprobs\":21} | invalid_parameter | top_logprobs",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":true,\"top_logprobs\":-1} | invalid_parameter | top_logprobs",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_logprobs\":2} | invalid_parameter | top_logprobs",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"logprobs\":false,\"top_logprobs\":2} | invalid_parameter | top_logprobs",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"prompt_logprobs\":-1} | invalid_parameter | prompt_logprobs",
        "/v1/chat/completions | {\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"prompt_logprobs\":true} | invalid_parameter | prompt_logprobs",
    })
    void rejectsWithACodeAndTheParameter(String url, String body, String code, String param) throws Exception {
        Optional<ErrorInfo> error = validate(url, body);
        assertThat(error).isPresent();
        assertThat(error.get().code()).isEqualTo(code);
        assertThat(error.get().param()).isEqualTo(param);
        assertThat(error.get().message()).isNotBlank();
    }

    @Test
    void acceptsSamplingAndLogprobOptions() throws Exception {
        String base = "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],";
        assertThat(validate("/v1/chat/completions", base + "\"top_k\":40,\"presence_penalty\":-2,\"frequency_penalty\":1.5,"
                + "\"logprobs\":true,\"top_logprobs\":20,\"prompt_logprobs\":0}")).isEmpty();
        // vLLM: -1 and 0 both mean no top-k cut.
        assertThat(validate("/v1/chat/completions", base + "\"top_k\":-1}")).isEmpty();
        assertThat(validate("/v1/chat/completions", base + "\"top_k\":0,\"logprobs\":false}")).isEmpty();
        assertThat(validate("/v1/chat/completions", base + "\"logprobs\":true,\"top_logprobs\":null}")).isEmpty();
    }

    @Test
    void topLogprobsWithoutLogprobsSaysHowToFixIt() throws Exception {
        assertThat(validate("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"top_logprobs\":3}").orElseThrow().message()).contains("\"logprobs\": true");
    }

    @Test
    void unknownModelMessageListsTheServedModels() throws Exception {
        assertThat(validate("/v1/chat/completions", "{\"model\":\"gpt-9\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
                .orElseThrow().message()).contains("gpt-9").contains("tiny");
    }

    @Test
    void rejectsANonObjectBodyAndAMissingRequestId() throws Exception {
        assertThat(validate("/v1/chat/completions", "[1]").orElseThrow().code()).isEqualTo(ErrorCodes.INVALID_BODY);
        assertThat(validator.validate(new RequestEvent(" ", null, null, null, "POST", "/v1/chat/completions",
                Json.parse("{}"), null, 0)).orElseThrow().code()).isEqualTo(ErrorCodes.INVALID_REQUEST_ID);
    }

    @Test
    void autoIsAcceptedWhenOnAndCheckedAgainstBothModels() throws Exception {
        ModelCatalog catalog = ModelCatalog.of(new ModelCatalog.Entry("tiny", 512), new ModelCatalog.Entry("big", 4096));
        String body = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":%d}";
        RequestEvent small = new RequestEvent("r", null, null, null, "POST", "/v1/chat/completions", Json.parse(body.formatted(16)), null, 0);
        RequestEvent tooLongForTiny = new RequestEvent("r", null, null, null, "POST", "/v1/chat/completions",
                Json.parse(body.formatted(1000)), null, 0);
        assertThat(new ChatRequestValidator(catalog).validate(small)).get().extracting(ErrorInfo::code)
                .isEqualTo(ErrorCodes.MODEL_NOT_FOUND);
        ChatRequestValidator withAuto = new ChatRequestValidator(catalog.withAuto(new ModelCatalog.AutoModels("tiny", "big")));
        assertThat(withAuto.validate(small)).isEmpty();
        assertThat(withAuto.validate(tooLongForTiny)).as("auto may pick tiny").get().extracting(ErrorInfo::code)
                .isEqualTo(ErrorCodes.INVALID_MAX_TOKENS);
    }

    @Test
    void aRequestIsCheckedAgainstTheModelItIsRoutedTo() throws Exception {
        ChatRequestValidator v = new ChatRequestValidator(
                ModelCatalog.of(new ModelCatalog.Entry("tiny", 512), new ModelCatalog.Entry("big", 4096)));
        RequestEvent e = new RequestEvent("r", null, null, null, "POST", "/v1/chat/completions",
                Json.parse("{\"model\":\"big\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1000}"), null, 0);
        assertThat(v.validate(e)).isEmpty();
        assertThat(v.validate(e, "big")).isEmpty();
        assertThat(v.validate(e, "tiny")).get().extracting(ErrorInfo::code).isEqualTo(ErrorCodes.INVALID_MAX_TOKENS);
        assertThat(v.validate(e, "gone")).get().extracting(ErrorInfo::message).asString().contains("routed to model 'gone'");
    }
}
