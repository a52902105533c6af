package io.millrace.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.RequestEvent;
import org.junit.jupiter.api.Test;

class ConversationKeyTest {
    private static String key(String body) throws Exception {
        return ConversationKey.of(new RequestEvent("r", null, "c", null, "POST", ChatRequestValidator.CHAT_COMPLETIONS,
                Json.parse(body), "tiny", 0));
    }

    private static final String SYSTEM = "{\"role\":\"system\",\"content\":\"You are terse.\"}";

    @Test
    void turnsOfOneConversationShareAKey() throws Exception {
        String first = key("{\"messages\":[" + SYSTEM + ",{\"role\":\"user\",\"content\":\"Hi\"}]}");
        String second = key("{\"messages\":[" + SYSTEM + ",{\"role\":\"user\",\"content\":\"Hi\"},"
                + "{\"role\":\"assistant\",\"content\":\"Hello.\"},{\"role\":\"user\",\"content\":\"And now?\"}]}");
        assertThat(second).isEqualTo(first).startsWith("conv:");
    }

    @Test
    void conversationsSharingOnlyASystemPromptSpread() throws Exception {
        assertThat(key("{\"messages\":[" + SYSTEM + ",{\"role\":\"user\",\"content\":\"A\"}]}"))
                .isNotEqualTo(key("{\"messages\":[" + SYSTEM + ",{\"role\":\"user\",\"content\":\"B\"}]}"));
    }

    @Test
    void anExplicitConversationIdWins() throws Exception {
        assertThat(key("{\"metadata\":{\"conversation_id\":\"t-42\"},\"messages\":[{\"role\":\"user\",\"content\":\"A\"}]}"))
                .isEqualTo(key("{\"metadata\":{\"conversation_id\":\"t-42\"},\"messages\":[{\"role\":\"user\",\"content\":\"B\"}]}"))
                .isEqualTo("conv:t-42");
    }
}
