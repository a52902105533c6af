package io.millrace.results;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ModelCatalog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vLLM's tokenizer endpoints' JSON, on a small word-level tokenizer. */
class TokenizerApiTest {
    @TempDir
    Path dir;
    TokenizerApi api;

    @BeforeEach
    void load() throws Exception {
        Path m = Files.createDirectories(dir.resolve("m1"));
        Files.writeString(m.resolve("tokenizer.json"), """
                {"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,
                 "pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,
                 "model":{"type":"WordLevel","vocab":{"[UNK]":0,"hello":1,"world":2},"unk_token":"[UNK]"}}""");
        Files.writeString(m.resolve("tokenizer_config.json"), "{\"eos_token\":\"world\",\"bos_token\":null,\"chat_template\":"
                + "\"{% for m in messages %}{{ m['content'] + ' ' }}{% endfor %}{% if add_generation_prompt %}world{% endif %}\"}");
        api = TokenizerApi.load(Map.of("m1", m), ModelCatalog.of(new ModelCatalog.Entry("m1", 64, 3)));
    }

    @AfterEach
    void close() {
        api.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void tokenizerInfoHasTheSpecialTokensAndTheContext() {
        ChatCompletions.Reply r = api.info(null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body().get("eos_token").asText()).isEqualTo("world");
        assertThat(r.body().get("bos_token").isNull()).isTrue();
        assertThat(r.body().get("chat_template").asText()).startsWith("{% for m in messages %}");
        assertThat(r.body().get("model_max_length").asLong()).isEqualTo(64);
    }

    @Test
    void tokenizeThenDetokenizeRoundTrips() {
        ChatCompletions.Reply t = api.tokenize(b("{\"prompt\":\"hello world\",\"add_special_tokens\":false}"));
        assertThat(t.body().toString()).isEqualTo("{\"count\":2,\"max_model_len\":64,\"tokens\":[1,2],\"token_strs\":null}");
        ChatCompletions.Reply d = api.detokenize(b("{\"model\":\"m1\",\"tokens\":[1,2]}"));
        assertThat(d.body().toString()).isEqualTo("{\"prompt\":\"hello world\"}");
    }

    @Test
    void tokenizesAConversationThroughTheChatTemplateAsVllmDoes() {
        ChatCompletions.Reply chat = api.tokenize(b("{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"));
        assertThat(chat.status()).isEqualTo(200);
        assertThat(chat.body().toString()).as("with the generation prompt by default")
                .isEqualTo("{\"count\":2,\"max_model_len\":64,\"tokens\":[1,2],\"token_strs\":null}");
        ChatCompletions.Reply parts = api.tokenize(b("{\"model\":\"m1\",\"add_generation_prompt\":false,"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hello\"}]}]}"));
        assertThat(parts.body().get("tokens").toString()).isEqualTo("[1]");
        ChatCompletions.Reply continued = api.tokenize(b("{\"add_generation_prompt\":false,\"continue_final_message\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"},{\"role\":\"assistant\",\"content\":\"world\"}]}"));
        assertThat(continued.body().get("tokens").toString()).isEqualTo("[1,2]");
    }

    @Test
    void aConversationThatCannotBeTokenizedSaysWhy() {
        String[][] cases = {
            {"{\"prompt\":\"hello\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "messages"},
            {"{\"messages\":[]}", "messages"},
            {"{\"messages\":\"hello\"}", "messages"},
            {"{\"messages\":[{\"content\":\"x\"}]}", "messages[0].role"},
            {"{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content"},
            {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"continue_final_message\":true}", "continue_final_message"},
            {"{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"add_generation_prompt\":\"yes\"}", "add_generation_prompt"},
        };
        for (String[] c : cases) {
            ChatCompletions.Reply r = api.tokenize(b(c[0]));
            assertThat(r.status()).as(c[0]).isEqualTo(400);
            assertThat(r.body().at("/error/param").asText()).as(c[0]).isEqualTo(c[1]);
            assertThat(r.body().at("/error/message").asText()).as(c[0]).isNotBlank();
        }
    }

    @Test
    void errorsNameTheField() {
        assertThat(api.tokenize(b("{\"prompt\":3}")).body().at("/error/param").asText()).isEqualTo("prompt");
        assertThat(api.tokenize(b("{\"model\":\"other\",\"prompt\":\"x\"}")).status()).isEqualTo(404);
        ChatCompletions.Reply bad = api.detokenize(b("{\"tokens\":[1,3]}"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body().at("/error/param").asText()).isEqualTo("tokens[1]");
        assertThat(api.tokenize(b("not json")).status()).isEqualTo(400);
    }
}
