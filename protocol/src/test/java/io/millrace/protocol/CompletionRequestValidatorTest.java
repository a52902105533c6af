package io.millrace.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.provider.CsvSource;

/** The legacy {@code /v1/completions} bodies, as lm-evaluation-harness and OpenAI's SDKs send them. */
class CompletionRequestValidatorTest {
    private final ChatRequestValidator validator =
            new ChatRequestValidator(ModelCatalog.of(new ModelCatalog.Entry("tiny", 512, 1000)));

    private Optional<ErrorInfo> validate(String body) throws Exception {
        return validator.validate(new RequestEvent("r1", null, null, null, "POST", ChatRequestValidator.COMPLETIONS,
                Json.parse(body), null, 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"model\":\"tiny\",\"prompt\":\"Once upon\"}",
        "{\"model\":\"tiny\",\"prompt\":[\"a\",\"b\"],\"max_tokens\":4,\"temperature\":0.5,\"top_p\":0.9,\"stop\":[\"\\n\"],\"seed\":3}",
        "{\"model\":\"tiny\",\"prompt\":[1,2,999],\"logprobs\":5,\"echo\":true}",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"stream\":true,\"echo\":true,\"stream_options\":{\"include_usage\":true}}",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"stream\":true,\"logprobs\":null}",
        // lm-evaluation-harness's loglikelihood request, exactly
        "{\"model\":\"tiny\",\"prompt\":[[1,2],[3,4,5]],\"temperature\":0,\"max_tokens\":1,\"logprobs\":1,\"seed\":1234,\"echo\":true}",
        "{\"model\":\"tiny\",\"prompt\":[[1,2]],\"max_tokens\":0,\"echo\":true,\"n\":1,\"logprobs\":null,\"stream\":false}",
    })
    void acceptsEveryPromptForm(String body) throws Exception {
        assertThat(validate(body)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"model\":\"tiny\"} | invalid_parameter | prompt",
        "{\"model\":\"tiny\",\"prompt\":\"\"} | invalid_parameter | prompt",
        "{\"model\":\"tiny\",\"prompt\":[]} | invalid_parameter | prompt",
        "{\"model\":\"tiny\",\"prompt\":{\"a\":1}} | invalid_parameter | prompt",
        "{\"model\":\"tiny\",\"prompt\":[\"a\",3]} | invalid_parameter | prompt[1]",
        "{\"model\":\"tiny\",\"prompt\":[[1],[]]} | invalid_parameter | prompt[1]",
        "{\"model\":\"tiny\",\"prompt\":[1,1000]} | invalid_parameter | prompt[1]",
        "{\"model\":\"tiny\",\"prompt\":[1,-1]} | invalid_parameter | prompt[1]",
        "{\"model\":\"tiny\",\"prompt\":[[1],[2,1.5]]} | invalid_parameter | prompt[1][1]",
        "{\"model\":\"tiny\",\"prompt\":[true]} | invalid_parameter | prompt",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"logprobs\":6} | invalid_parameter | logprobs",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"logprobs\":true} | invalid_parameter | logprobs",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"echo\":1} | invalid_parameter | echo",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"n\":2} | invalid_parameter | n",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":-1} | invalid_max_tokens | max_tokens",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"max_tokens\":512} | invalid_max_tokens | max_tokens",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"temperature\":3} | invalid_parameter | temperature",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"stream\":\"yes\"} | invalid_parameter | stream",
        "{\"model\":\"tiny\",\"prompt\":\"x\",\"stream\":true,\"logprobs\":1} | invalid_parameter | logprobs",
        "{\"model\":\"other\",\"prompt\":\"x\"} | model_not_found | model",
    })
    void rejectsNamingTheField(String body, String code, String param) throws Exception {
        ErrorInfo e = validate(body).orElseThrow();
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.param()).isEqualTo(param);
        assertThat(e.message()).contains(param.replaceAll("\\[.*", ""));
    }

    @Test
    void anOutOfVocabularyIdSaysTheVocabularySize() throws Exception {
        assertThat(validate("{\"model\":\"tiny\",\"prompt\":[[5, 1000]]}").orElseThrow().message())
                .contains("prompt[0][1]").contains("999").contains("1000 tokens");
    }

    @Test
    void tooManyPromptsIsRequestTooLarge() throws Exception {
        StringBuilder b = new StringBuilder("{\"model\":\"tiny\",\"prompt\":[");
        for (int i = 0; i <= InputLimits.MAX_PROMPTS; i++) {
            b.append(i == 0 ? "" : ",").append("\"p\"");
        }
        assertThat(validate(b.append("]}").toString()).orElseThrow().code()).isEqualTo(ErrorCodes.REQUEST_TOO_LARGE);
    }

    @Test
    void otherUrlsAreStillRefused() throws Exception {
        ErrorInfo e = validator.validate(new RequestEvent("r1", null, null, null, "POST", "/v1/embeddings",
                Json.parse("{\"model\":\"tiny\",\"prompt\":\"x\"}"), null, 0)).orElseThrow();
        assertThat(e.code()).isEqualTo(ErrorCodes.INVALID_URL);
        assertThat(e.message()).contains("/v1/completions");
    }
}
