package io.millrace.router;

import static io.millrace.router.Requests.CATALOG;
import static io.millrace.router.Requests.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Json;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.RouteInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code "model": "auto"} and budget routes through the whole topology (TopologyTestDriver, the
 * service's EOS settings), with the classifier the router trains at start.
 */
class ModelRoutingTopologyTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    private static final ModelCatalog AUTO_CATALOG = CATALOG.withAuto(new ModelCatalog.AutoModels("millrace-tiny", "millrace-small"));

    @TempDir
    Path stateDir;

    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> requests;
    private TestOutputTopic<String, RequestEvent> tiny;
    private TestOutputTopic<String, RequestEvent> small;
    private TestOutputTopic<String, ResultEvent> results;

    @BeforeEach
    void start() {
        RouterConfig config = new RouterConfig(AUTO_CATALOG).withAuto(AutoRouter.trained());
        driver = new TopologyTestDriver(RouterTopology.build(config), RouterService.streamsConfig("unused:9092", stateDir, Map.of()), START);
        requests = driver.createInputTopic(Topics.REQUESTS.name(), new StringSerializer(), new ByteArraySerializer(),
                START, Duration.ofSeconds(1));
        tiny = generation("millrace-tiny");
        small = generation("millrace-small");
        results = driver.createOutputTopic(Topics.RESULTS.name(), Topics.RESULTS.keySerde().deserializer(),
                Topics.RESULTS.valueSerde().deserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void autoSendsAnEasyPromptToTheSmallModelAndAHardOneToTheLargeWithTheReason() {
        requests.pipeInput("easy", bytes(chat("easy", "What is the capital of Spain?")));
        requests.pipeInput("hard", bytes(chat("hard", "Design a fault-tolerant job scheduler for a cluster of a thousand machines"
                + " and analyze how it behaves when the leader fails.")));

        // Lone requests: the models' interactive lanes.
        RequestEvent toTiny = lane("millrace-tiny").readValue();
        RequestEvent toSmall = lane("millrace-small").readValue();
        assertThat(toTiny.requestId()).isEqualTo("easy");
        assertThat(toTiny.model()).isEqualTo("millrace-tiny");
        assertThat(toTiny.requestedModel()).as("the body keeps what the client sent").isEqualTo("auto");
        assertThat(toTiny.route().requested()).isEqualTo("auto");
        assertThat(toTiny.route().reason()).matches("auto: classifier p\\(hard\\)=[01]\\.\\d\\d");
        assertThat(toSmall.requestId()).isEqualTo("hard");
        assertThat(toSmall.route()).extracting(RouteInfo::model).isEqualTo("millrace-small");
        assertThat(toSmall.route().reason()).matches("auto: classifier p\\(hard\\)=[01]\\.\\d\\d");
        assertThat(tiny.isEmpty() && small.isEmpty() && results.isEmpty()).isTrue();
    }

    @Test
    void aBudgetRouteFromIngestIsHonouredAndOneThatDoesNotFitIsAnswered() {
        RequestEvent planned = chat("b:1", "Hi").withRoute(new RouteInfo("auto", "millrace-small", "budget: $0.01 plan"));
        RequestEvent unfit = new RequestEvent("b:2", "b", "2", 2L, "POST", ChatRequestValidator.CHAT_COMPLETIONS,
                Requests.json("{\"model\":\"millrace-small\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1000}"),
                null, 0L).withRoute(new RouteInfo("millrace-small", "millrace-tiny", "budget: $0.01 plan"));

        requests.pipeInput("b:1", bytes(planned));
        requests.pipeInput("b:2", bytes(unfit));

        RequestEvent routed = small.readValue();
        assertThat(routed.route()).isEqualTo(new RouteInfo("auto", "millrace-small", "budget: $0.01 plan"));
        ResultEvent error = results.readValue();
        assertThat(error.requestId()).isEqualTo("b:2");
        assertThat(error.error().code()).isEqualTo(ErrorCodes.INVALID_MAX_TOKENS);
        assertThat(tiny.isEmpty()).isTrue();
    }

    @Test
    void autoIsModelNotFoundWhereTheDeploymentDoesNotTurnItOn() {
        driver.close();
        driver = new TopologyTestDriver(RouterTopology.build(new RouterConfig(CATALOG)),
                RouterService.streamsConfig("unused:9092", stateDir.resolve("off"), Map.of()), START);
        requests = driver.createInputTopic(Topics.REQUESTS.name(), new StringSerializer(), new ByteArraySerializer(),
                START, Duration.ofSeconds(1));
        results = driver.createOutputTopic(Topics.RESULTS.name(), Topics.RESULTS.keySerde().deserializer(),
                Topics.RESULTS.valueSerde().deserializer());

        requests.pipeInput("r", bytes(chat("r", "Hi")));

        assertThat(results.readValue().error().code()).isEqualTo(ErrorCodes.MODEL_NOT_FOUND);
    }

    private static RequestEvent chat(String id, String content) {
        return new RequestEvent(id, id.contains(":") ? id.substring(0, id.indexOf(':')) : null, id, 1L, "POST",
                ChatRequestValidator.CHAT_COMPLETIONS, Requests.json("{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":"
                        + Json.MAPPER.valueToTree(content) + "}],\"max_tokens\":8}"), null, 0L);
    }

    private TestOutputTopic<String, RequestEvent> lane(String model) {
        return driver.createOutputTopic(Topics.interactive(model).name(), Topics.interactive(model).keySerde().deserializer(),
                Topics.interactive(model).valueSerde().deserializer());
    }

    private TestOutputTopic<String, RequestEvent> generation(String model) {
        return driver.createOutputTopic(Topics.generation(model).name(), Topics.generation(model).keySerde().deserializer(),
                Topics.generation(model).valueSerde().deserializer());
    }
}
