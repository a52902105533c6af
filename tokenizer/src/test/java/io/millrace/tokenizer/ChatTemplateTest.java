package io.millrace.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jinja chat templates rendered as transformers' apply_chat_template renders them. */
class ChatTemplateTest {
    @TempDir
    Path dir;

    @Test
    void rendersLlama3StyleTemplateAsJinja2Does() {
        ChatTemplate template = new ChatTemplate("{% set loop_messages = messages %}{% for message in loop_messages %}"
                + "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
                + "+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
                + "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
                "<|begin_of_text|>", "<|eot_id|>");
        assertThat(template.render(List.of(new ChatTemplate.Message("system", "Be brief. "), new ChatTemplate.Message("user", " hi "))))
                .isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void trimsBlocksAndHonoursWhitespaceControlLikeTransformers() {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}\n    {%- if m['role'] == 'user' -%}\n"
                + "U: {{ m['content'] }}\n    {% else %}\nA: {{ m['content'] }}\n    {% endif %}\n{% endfor %}\n"
                + "{%- set ns = namespace(n=0) -%}{%- for m in messages -%}{%- set ns.n = ns.n + 1 -%}{%- endfor -%}"
                + "{% if add_generation_prompt %}A{{ ns.n }}:{% endif %}", "", "");
        assertThat(template.render(List.of(new ChatTemplate.Message("user", "q"), new ChatTemplate.Message("assistant", "a"))))
                .isEqualTo("U: q\nA: a\nA2:");
    }

    @Test
    void chatTemplateSeesSpecialTokensAndRaiseException() {
        ChatTemplate template = new ChatTemplate(
                "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'tool' %}"
                        + "{{ raise_exception('tool messages are not supported') }}{% endif %}"
                        + "{{ m['content'] }}{{ eos_token }}{% endfor %}",
                "<s>", "</s>");
        assertThat(template.render(List.of(new ChatTemplate.Message("user", "a")))).isEqualTo("<s>a</s>");
        assertThatThrownBy(() -> template.render(List.of(new ChatTemplate.Message("tool", "x"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tool messages are not supported");
    }

    @Test
    void withoutTheGenerationPromptTheConversationEndsWithItsLastTurn() {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"
                + "{% if add_generation_prompt %}<assistant>{% endif %}", "", "");
        List<ChatTemplate.Message> chat = List.of(new ChatTemplate.Message("user", "hi"));
        assertThat(template.render(chat)).isEqualTo("<user>hi<assistant>");
        assertThat(template.render(chat, false)).isEqualTo("<user>hi");
    }

    @Test
    void continuingTheLastTurnCutsAfterItsContent() {
        ChatTemplate template = new ChatTemplate("{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}</s>{% endfor %}"
                + "{% if add_generation_prompt %}<assistant>{% endif %}", "", "");
        assertThat(template.renderContinuingLastTurn(List.of(new ChatTemplate.Message("user", "hi"),
                new ChatTemplate.Message("assistant", "Once upon")))).isEqualTo("<user>hi</s><assistant>Once upon");
        assertThatThrownBy(() -> template.renderContinuingLastTurn(List.of())).hasMessageContaining("at least one");
        ChatTemplate dropsContent = new ChatTemplate("{% for m in messages %}<{{ m['role'] }}>{% endfor %}", "", "");
        assertThatThrownBy(() -> dropsContent.renderContinuingLastTurn(List.of(new ChatTemplate.Message("user", "hi"))))
                .hasMessageContaining("does not appear");
    }

    @Test
    void readsTheTemplateOfTokenizerConfigOrChatTemplateJinjaAndSaysWhatIsMissing() throws Exception {
        assertThatThrownBy(() -> ChatTemplate.read(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no tokenizer_config.json");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\":\"<s>\"}");
        assertThatThrownBy(() -> ChatTemplate.read(dir)).hasMessageContaining("has no chat_template");
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ bos_token }}{{ messages[0]['content'] }}");
        assertThat(ChatTemplate.read(dir).render(List.of(new ChatTemplate.Message("user", "x")))).isEqualTo("<s>x");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\":[{\"name\":\"default\",\"template\":\"T\"}]}");
        assertThat(ChatTemplate.read(dir).render(List.of())).isEqualTo("T");
    }
}
