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
        assertThat(r.logprobs()).isFalse();
        assertThat(r.promptLogprobs()).isNull();
        // No limit given: up to the context, prompt included.
        SamplingParams s = r.sampling(0, 100, 512);
        assertThat(s.maxNewTokens()).isEqualTo(412);
        assertThat(s.topK()).isZero();
        assertThat(s.presencePenalty()).isZero();
        assertThat(s.frequencyPenalty()).isZero();
        assertThat(s.logprobs()).isFalse();
        assertThat(s.echo()).isFalse();
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

    @Test
    void mapsTopKPenaltiesAndLogprobs() throws Exception {
        ChatRequest r = ChatRequest.from(Json.parse("""
                {"messages":[{"role":"user","content":"x"}],"top_k":40,"presence_penalty":0.5,"frequency_penalty":-1.25,
                 "logprobs":true,"top_logprobs":3,"n":2}"""));
        SamplingParams s = r.sampling(0, 10, 512);
        assertThat(s.topK()).isEqualTo(40);
        assertThat(s.presencePenalty()).isEqualTo(0.5);
        assertThat(s.frequencyPenalty()).isEqualTo(-1.25);
        assertThat(s.logprobs()).isTrue();
        assertThat(s.topLogprobs()).isEqualTo(3);
        assertThat(s.echo()).isFalse();
        assertThat(r.sampling(1, 10, 512).logprobs()).isTrue();
    }

    @Test
    void topKOfMinusOneOrZeroIsNoCut() throws Exception {
        assertThat(ChatRequest.from(Json.parse("{\"messages\":[],\"top_k\":-1}")).sampling(0, 1, 8).topK()).isZero();
        assertThat(ChatRequest.from(Json.parse("{\"messages\":[],\"top_k\":0}")).sampling(0, 1, 8).topK()).isZero();
    }

    @Test
    void promptLogprobsScoreThePromptOnceWithTheLargerNumberOfAlternatives() throws Exception {
        ChatRequest r = ChatRequest.from(Json.parse("""
                {"messages":[{"role":"user","content":"x"}],"prompt_logprobs":5,"logprobs":true,"top_logprobs":2,"n":2}"""));
        assertThat(r.promptLogprobs()).isEqualTo(5);
        SamplingParams first = r.sampling(0, 10, 512);
        assertThat(first.echo()).isTrue();
        assertThat(first.topLogprobs()).isEqualTo(5);
        SamplingParams second = r.sampling(1, 10, 512);
        assertThat(second.echo()).isFalse();
        assertThat(second.topLogprobs()).isEqualTo(2);

        // prompt_logprobs 0: the prompt tokens' own logprobs, no alternatives; no completion logprobs.
        SamplingParams zero = ChatRequest.from(Json.parse("{\"messages\":[],\"prompt_logprobs\":0}")).sampling(0, 1, 8);
        assertThat(zero.echo()).isTrue();
        assertThat(zero.logprobs()).isFalse();
        assertThat(zero.topLogprobs()).isZero();
    }

    @Test
    void topLogprobsWithoutLogprobsIsIgnored() throws Exception {
        // The router rejects this; a client that bypasses it gets no logprobs rather than a failure.
        ChatRequest r = ChatRequest.from(Json.parse("{\"messages\":[],\"top_logprobs\":4}"));
        assertThat(r.sampling(0, 1, 8).topLogprobs()).isZero();
    }
}
