package io.millrace.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's Jinja chat template, rendered with Jinjava the way transformers'
 * {@code apply_chat_template} renders it: trim_blocks and lstrip_blocks on, variables
 * {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}, and a
 * {@code raise_exception(msg)} function that templates use to reject a conversation.
 *
 * <p>Here, beside the tokenizer, because two stages render it: the worker, to generate from a
 * conversation, and the API's {@code /tokenize} with {@code messages}, which must count exactly
 * the tokens the worker will see.
 */
public final class ChatTemplate {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One chat turn as the template sees it ({@code message['role']}, {@code message['content']}). */
    public interface Turn {
        String role();

        String content();
    }

    /** A turn, for callers that have no message type of their own. */
    public record Message(String role, String content) implements Turn {}

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final Jinjava jinjava;

    public ChatTemplate(String template, String bosToken, String eosToken) {
        this.template = template;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // Jinjava would otherwise render template syntax found inside message content:
                // a template injection by anyone who can send a chat message.
                .withNestedInterpretationEnabled(false)
                // Jinja2 semantics that HF templates assume. Not LegacyOverrides.ALL: its strict
                // whitespace parsing leaves "{%- if x -%}" unparsed, and real templates are full of those.
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withIterateOverMapKeys(true)
                        .withEvaluateMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build());
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
    }

    /**
     * Reads the template from {@code tokenizer_config.json} ({@code chat_template}, a string or a
     * list of named templates of which "default" is used) or, as newer exports store it, from
     * {@code chat_template.jinja}.
     *
     * @throws IllegalArgumentException when there is none, or it does not render, saying what to fix
     */
    public static ChatTemplate read(Path dir) {
        Path configFile = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(configFile)) {
            throw new IllegalArgumentException("model directory " + dir + " has no tokenizer_config.json: copy it from the"
                    + " model's repository beside model.onnx (it holds the chat template and special tokens)");
        }
        JsonNode config;
        try {
            config = JSON.readTree(configFile.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + configFile + ": " + e.getMessage()
                    + " (it must be the JSON file tokenizer.save_pretrained writes)", e);
        }
        String template = templateText(config.get("chat_template"));
        Path jinjaFile = dir.resolve("chat_template.jinja");
        if (template == null && Files.isRegularFile(jinjaFile)) {
            try {
                template = Files.readString(jinjaFile, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read " + jinjaFile + ": " + e.getMessage(), e);
            }
        }
        if (template == null) {
            throw new IllegalArgumentException(configFile + " has no chat_template (and there is no chat_template.jinja):"
                    + " this worker serves chat completions, so add the Jinja chat template the model was trained with");
        }
        ChatTemplate chat = new ChatTemplate(template, tokenText(config.get("bos_token")), tokenText(config.get("eos_token")));
        try {
            chat.render(List.of(new Message("user", "hello")));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the chat_template in " + configFile + " does not render: " + e.getMessage(), e);
        }
        return chat;
    }

    /** Renders the conversation followed by the assistant generation prompt. */
    public String render(List<? extends Turn> messages) {
        return render(messages, true);
    }

    /**
     * Renders the conversation, followed by the assistant generation prompt when
     * {@code addGenerationPrompt} (transformers' {@code add_generation_prompt}).
     *
     * @throws IllegalArgumentException when the template rejects the conversation, with its reason
     */
    public String render(List<? extends Turn> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (Turn m : messages) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            message.put("content", m.content());
            list.add(message);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        RenderResult result = jinjava.renderForResult(template, context);
        List<String> fatal = new ArrayList<>();
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                fatal.add(describe(error));
            }
        }
        if (!fatal.isEmpty()) {
            throw new IllegalArgumentException("chat template rejected the messages: " + String.join("; ", fatal));
        }
        return result.getOutput();
    }

    /**
     * Renders the conversation so that the model continues its last turn (transformers'
     * {@code continue_final_message}): rendered without the generation prompt and cut right after
     * the last turn's content, so no end-of-turn token closes it.
     *
     * @throws IllegalArgumentException when the template rejects the conversation, or the last
     *         turn's content does not appear in what it renders
     */
    public String renderContinuingLastTurn(List<? extends Turn> messages) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("there is no last message to continue: send at least one");
        }
        String rendered = render(messages, false);
        String last = messages.get(messages.size() - 1).content();
        for (String part : new String[] {last, last.strip()}) {
            int at = rendered.lastIndexOf(part);
            if (at >= 0) {
                return rendered.substring(0, at + part.length());
            }
        }
        throw new IllegalArgumentException("the last message does not appear in the conversation the chat template renders,"
                + " so it cannot be continued: send it without continue_final_message");
    }

    /** Called by templates as {@code raise_exception('...')}; Jinjava records it as a fatal error. */
    public static String raiseException(String message) {
        throw new RaisedByTemplate(message);
    }

    /** Jinjava reports a failed function call generically; the template's own message is in the cause chain. */
    private static String describe(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof RaisedByTemplate) {
                return t.getMessage();
            }
        }
        return error.getMessage();
    }

    private static final class RaisedByTemplate extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RaisedByTemplate(String message) {
            super(message);
        }
    }

    private static String templateText(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isTextual()) {
            return node.asText();
        }
        for (JsonNode named : node) {
            if ("default".equals(named.path("name").asText())) {
                return named.path("template").asText();
            }
        }
        return null;
    }

    /** Special tokens are stored either as the text or as an AddedToken object with "content". */
    private static String tokenText(JsonNode node) {
        if (node == null || node.isNull()) {
            return "";
        }
        return node.isTextual() ? node.asText() : node.path("content").asText("");
    }
}
