package io.millrace.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestEvent;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Planning a batch's lines and publishing them with their planned routes. */
class BudgetRoutingTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochMilli(5_000), ZoneOffset.UTC);
    private static final ModelCatalog CATALOG = ModelCatalog.of(new ModelCatalog.Entry("tiny", 512), new ModelCatalog.Entry("big", 4096))
            .withAuto(new ModelCatalog.AutoModels("tiny", "big"));
    private static final ChatRequestValidator VALIDATOR = new ChatRequestValidator(CATALOG);
    /** A line of 12 prompt characters (3 tokens) and max_tokens 7: 10 tokens, $0.00001 on tiny, $0.0001 on big. */
    private static final List<ModelOffer> OFFERS = List.of(new ModelOffer("tiny", 1.0, 1.0, 0.5), new ModelOffer("big", 10.0, 10.0, 0.9));

    private static String line(String customId, String model, int maxTokens) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Question " + customId + "?\"}],"
                + "\"max_tokens\":" + maxTokens + "}}";
    }

    private static BatchIngestor.Lines lines(String... lines) {
        byte[] content = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
        return c -> BatchFile.forEachLine(new ByteArrayInputStream(content), c);
    }

    @Test
    void publishesEachAcceptedLineWithItsPlannedRoute() throws Exception {
        BatchIngestor.Lines lines = lines(line("01", "tiny", 7), "not json", line("02", "auto", 7), line("03", "big", 7),
                line("04", "tiny", 7));
        // Room for one line on big beside three on tiny: 0.0001 + 3 * 0.00001 = 0.00013.
        BudgetRouting.Result result = new BudgetRouting(OFFERS, VALIDATOR, CLOCK).plan(lines, "batch_b", null, "0.00015");
        BudgetRouting.Routes routes = ((BudgetRouting.Planned) result).routes();
        MockProducer<String, byte[]> producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());

        new BatchIngestor(producer, VALIDATOR, CLOCK).publishLines(lines, "batch_b", null, null, Set.of(), routes);

        List<RequestEvent> published = new ArrayList<>();
        producer.history().stream().filter(r -> r.topic().equals(Topics.REQUESTS.name()))
                .forEach(r -> published.add(Topics.REQUEST_SERDE.deserializer().deserialize(r.topic(), r.value())));
        assertThat(published).hasSize(4);
        assertThat(published).allSatisfy(e -> {
            assertThat(e.route().reason()).startsWith("budget: est. $").contains("of budget_usd 0.00015 for 4 lines");
            assertThat(e.route().requested()).isEqualTo(e.requestedModel());
            assertThat(e.model()).isEqualTo(e.route().model());
        });
        assertThat(published.stream().filter(e -> e.model().equals("big")).count()).isEqualTo(1);
        assertThat(published.stream().filter(e -> e.model().equals("big")).findFirst().orElseThrow().route().reason())
                .contains("est. $0.0001 on big (quality 0.9)");
    }

    @Test
    void aBudgetBelowTheCheapestPlanFailsTheBatchSayingWhatItWouldCost() throws Exception {
        BudgetRouting.Result result = new BudgetRouting(OFFERS, VALIDATOR, CLOCK)
                .plan(lines(line("01", "tiny", 7), line("02", "tiny", 7)), "batch_b", null, "0.000015");

        BudgetRouting.Refused refused = (BudgetRouting.Refused) result;
        assertThat(refused.error().code()).isEqualTo(ErrorCodes.BUDGET_NOT_PLANNED);
        assertThat(refused.error().param()).isEqualTo("metadata.budget_usd");
        assertThat(refused.error().message()).contains("estimated at $0.00002").contains("raise budget_usd to at least 0.00002");
    }

    @Test
    void refusesABudgetThatIsNoNumberOrHasNoModelsToPlanWith() throws Exception {
        BudgetRouting routing = new BudgetRouting(OFFERS, VALIDATOR, CLOCK);
        assertThat(((BudgetRouting.Refused) routing.plan(lines(line("01", "tiny", 7)), "batch_b", null, "cheap")).error().message())
                .contains("'cheap'").contains("e.g. \"2.50\"");
        assertThat(((BudgetRouting.Refused) routing.plan(lines(line("01", "tiny", 7)), "batch_b", null, "-1")).error().code())
                .isEqualTo(ErrorCodes.BUDGET_NOT_PLANNED);
        assertThat(((BudgetRouting.Refused) new BudgetRouting(List.of(), VALIDATOR, CLOCK)
                .plan(lines(line("01", "tiny", 7)), "batch_b", null, "1")).error().message()).contains("models[].quality");
    }

    @Test
    void aLineThatFitsOnlyTheDearModelIsPlannedThere() throws Exception {
        // max_tokens 1000 is past tiny's context: the plan may only choose big for it.
        BudgetRouting.Routes routes = ((BudgetRouting.Planned) new BudgetRouting(OFFERS, VALIDATOR, CLOCK)
                .plan(lines(line("01", "big", 1000), line("02", "tiny", 7)), "batch_b", null, "1")).routes();

        assertThat(routes.route(0, "big").model()).isEqualTo("big");
        assertThat(routes.route(1, "tiny").model()).as("the budget allows better for it too").isEqualTo("big");
    }

    @Test
    void aLineThatFitsNoPricedModelFailsTheBatchNamingIt() throws Exception {
        BudgetRouting.Result result = new BudgetRouting(List.of(OFFERS.get(0)), VALIDATOR, CLOCK)
                .plan(lines(line("01", "tiny", 7), line("02", "big", 1000)), "batch_b", null, "1");

        assertThat(((BudgetRouting.Refused) result).error().message()).startsWith("line 2 fits none of the models");
    }

    @Test
    void estimatesTokensCheaply() throws Exception {
        assertThat(TokenEstimate.of(io.millrace.protocol.Json.parse(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"}],\"max_tokens\":5,\"n\":2}")))
                .isEqualTo(new TokenEstimate(2, 10));
        assertThat(TokenEstimate.of(io.millrace.protocol.Json.parse("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")))
                .isEqualTo(new TokenEstimate(1, TokenEstimate.DEFAULT_CHAT_OUTPUT));
        assertThat(TokenEstimate.of(io.millrace.protocol.Json.parse("{\"prompt\":[\"abcd\",\"efgh\"],\"max_tokens\":3}")))
                .isEqualTo(new TokenEstimate(2, 6));
        assertThat(TokenEstimate.of(io.millrace.protocol.Json.parse("{\"prompt\":[1,2,3]}"))).isEqualTo(new TokenEstimate(3, 16));
    }
}
