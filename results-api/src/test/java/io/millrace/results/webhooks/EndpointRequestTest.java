package io.millrace.results.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.events.WebhookEndpoint;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndpointRequestTest {

    private static EndpointRequest parse(String json) {
        return EndpointRequest.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsUrlEventsAndDescription() {
        EndpointRequest r = parse("{\"url\": \" https://hooks.example.com/x \", \"events\": [\"batch.completed\", \"request.failed\","
                + " \"batch.completed\"], \"description\": \"ops\"}");
        assertThat(r.url()).isEqualTo("https://hooks.example.com/x");
        assertThat(r.events()).containsExactly("batch.completed", "request.failed");
        assertThat(r.description()).isEqualTo("ops");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "not json | ",
            "[] | ",
            "{\"events\": [\"batch.completed\"]} | url",
            "{\"url\": 3, \"events\": [\"batch.completed\"]} | url",
            "{\"url\": \"https://h.example/\"} | events",
            "{\"url\": \"https://h.example/\", \"events\": []} | events",
            "{\"url\": \"https://h.example/\", \"events\": [\"batch.exploded\"]} | events",
            "{\"url\": \"https://h.example/\", \"events\": [\"batch.completed\"], \"description\": 5} | description"})
    void refusesWithTheFieldAtFault(String body, String param) {
        assertThatThrownBy(() -> parse(body)).isInstanceOfSatisfying(WebhooksException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.param()).isEqualTo(param);
        });
    }

    @Test
    void theEndpointObjectNeverShowsASecret() {
        WebhookEndpoint e = new WebhookEndpoint("whep_1", "t", "https://h.example/", List.of("batch.completed"), null,
                List.of(new WebhookEndpoint.Secret("whsec_abc", null)), 5_000, null, null);
        String json = WebhooksApi.object(e).toString();
        assertThat(json).doesNotContain("whsec_").contains("\"status\":\"enabled\"").contains("\"created_at\":5");
        assertThat(WebhooksApi.object(e.disable("410 Gone", 6_000)).get("status").asText()).isEqualTo("disabled");
    }
}
