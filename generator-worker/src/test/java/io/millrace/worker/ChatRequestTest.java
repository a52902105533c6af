package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.Json;
import io.millrace.worker.model.ChatMessage;
import io.millrace.worker.model.SamplingParams;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatRequestTest {
    @Test
    void readsMessagesAndSamplingWithOpenAiDefaults() throws Exception {
        ChatRequest r = ChatRequest.from(Json.parse("""
                {"model":"m","messages":[{"role":"system","content":"Be brief."},
                 {"role":"user","content":[{"type":"text","text":"Hel"},{"type":"text","text":"lo"}]},
                 {"role":"assistant","content":null}]}"""));
        assertThat(r.messages()).containsExactly(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hello"),
                new ChatMessage("assistant", ""));
        assertThat(r.temperature()).isEqualTo(1.0);
        assertThat(r.topP()).isEqualTo(1.0);
        assertThat(r.n()).isEqualTo(1);
        assertThat(r.maxTokens()).isNull();
        assertThat(r.stop()).isEmpty();
        // No limit given: up to the context, prompt included.
        assertThat(r.sampling(0, 100, 512).maxNewTokens()).isEqualTo(412);
    }

    @Test
    void maxCompletionTokensWinsOverLegacyMaxTokensAndTheContextCaps() throws Exception {
        ChatRequest r = ChatRequest.from(Json.parse("""
                {"messages":[{"role":"user","content":"x"}],"max_tokens":5,"max_completion_tokens":9,
                 "temperature":0.5,"top_p":0.8,"seed":11,"stop":"END","n":3}"""));
        SamplingParams s = r.sampling(0, 10, 512);
        assertThat(s).isEqualTo(new SamplingParams(9, 0.5, 0.8, 11L, List.of("END")));
        assertThat(r.sampling(0, 508, 512).maxNewTokens()).isEqualTo(4);
        // Each choice of n > 1 samples with its own seed, deterministically.
        assertThat(r.sampling(2, 10, 512).seed()).isEqualTo(13L);
    }
}
