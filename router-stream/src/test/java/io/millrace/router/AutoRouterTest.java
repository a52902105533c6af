package io.millrace.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.RouteInfo;
import org.junit.jupiter.api.Test;

class AutoRouterTest {
    private static final ModelCatalog.AutoModels MODELS = new ModelCatalog.AutoModels("small", "large");

    private static com.fasterxml.jackson.databind.JsonNode chat(String content) {
        return Requests.json("{\"model\":\"auto\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":" + io.millrace.protocol.Json.MAPPER.valueToTree(content) + "}]}");
    }

    @Test
    void withoutAClassifierTheSeedRuleDecides() {
        assertThat(AutoRouter.RULE_ONLY.route(chat("What is 2 + 2?"), MODELS))
                .isEqualTo(new RouteInfo("auto", "small", "auto: rule (short, no analysis words)"));
        assertThat(AutoRouter.RULE_ONLY.route(chat("Explain entropy."), MODELS))
                .isEqualTo(new RouteInfo("auto", "large", "auto: rule (long or analysis words)"));
    }

    @Test
    void theTrainedClassifierDecidesWhenSure() {
        AutoRouter router = AutoRouter.trained();
        assertThat(router.hasClassifier()).isTrue();

        RouteInfo hard = router.route(chat("Write a Python function that merges overlapping intervals, prove it correct and"
                + " analyze its complexity."), MODELS);
        RouteInfo easy = router.route(chat("What is the capital of Italy?"), MODELS);

        assertThat(hard.model()).isEqualTo("large");
        assertThat(hard.reason()).matches("auto: classifier p\\(hard\\)=[01]\\.\\d\\d");
        assertThat(easy.model()).isEqualTo("small");
        assertThat(easy.reason()).matches("auto: classifier p\\(hard\\)=[01]\\.\\d\\d");
    }

    @Test
    void anUnsureClassifierLeavesItToTheRuleAndSaysSo() {
        // A stand-in for a classifier's answer in the unsure band, which the real one gives only to some prompts.
        AutoRouter unsure = new AutoRouter(prompt -> 0.5);

        assertThat(unsure.route(chat("Hi"), MODELS)).isEqualTo(new RouteInfo("auto", "small",
                "auto: rule (short, no analysis words), classifier unsure at p(hard)=0.50"));
        assertThat(new AutoRouter(prompt -> 0.65).route(chat("Hi"), MODELS).model()).as("0.65 is sure").isEqualTo("large");
        assertThat(new AutoRouter(prompt -> 0.35).route(chat("Explain it"), MODELS).model()).as("0.35 is sure").isEqualTo("small");
    }

    @Test
    void judgesTheLastUserMessageOrTheLegacyPrompt() {
        assertThat(PromptText.of(Requests.json("{\"messages\":[{\"role\":\"user\",\"content\":\"first\"},"
                + "{\"role\":\"assistant\",\"content\":\"ok\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
                + "{\"type\":\"text\",\"text\":\"b\"}]},{\"role\":\"assistant\",\"content\":\"prefill\"}]}"))).as("the text the worker generates from").isEqualTo("ab");
        assertThat(PromptText.of(Requests.json("{\"prompt\":[\"one\",\"two\"]}"))).isEqualTo("one");
        assertThat(PromptText.of(Requests.json("{\"prompt\":[1,2,3]}"))).isEmpty();
    }
}
