package io.millrace.router;

import static io.millrace.router.Requests.CATALOG;
import static io.millrace.router.Requests.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RouteInfo;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteChooserTest {
    private static final ModelCatalog AUTO = CATALOG.withAliases(Map.of("gpt-4o-mini", "millrace-small"))
            .withAuto(new ModelCatalog.AutoModels("millrace-tiny", "millrace-small"));
    private final RouteChooser chooser = new RouteChooser(AUTO, new ChatRequestValidator(AUTO), AutoRouter.RULE_ONLY);

    @Test
    void aBudgetRouteNamingAServedModelIsKeptWithItsReason() {
        RequestEvent planned = request("b:1", "b", "millrace-tiny")
                .withRoute(new RouteInfo("millrace-tiny", "millrace-small", "budget: $0.01 plan"));

        assertThat(chooser.choose(planned).route()).isEqualTo(new RouteInfo("millrace-tiny", "millrace-small", "budget: $0.01 plan"));
    }

    @Test
    void aBudgetRouteWinsOverAuto() {
        RequestEvent planned = request("b:1", "b", "auto").withRoute(new RouteInfo("auto", "millrace-small", "budget: x"));

        assertThat(chooser.choose(planned).route()).isEqualTo(new RouteInfo("auto", "millrace-small", "budget: x"));
    }

    @Test
    void aRequestThatDoesNotFitItsPlannedModelIsAnsweredWithTheReason() {
        // max_tokens 1000 fits millrace-small (2048) but not millrace-tiny (512).
        RequestEvent planned = new RequestEvent("b:1", "b", "1", 1L, "POST", ChatRequestValidator.CHAT_COMPLETIONS,
                Requests.json("{\"model\":\"millrace-small\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1000}"),
                null, 0L).withRoute(new RouteInfo("millrace-small", "millrace-tiny", "budget: x"));

        RouteChooser.Choice choice = chooser.choose(planned);

        assertThat(choice.route()).isNull();
        assertThat(choice.problem().code()).isEqualTo(ErrorCodes.INVALID_MAX_TOKENS);
        assertThat(choice.problem().message()).contains("millrace-tiny");
    }

    @Test
    void aBudgetRouteToAModelNotServedIsIgnoredAndTheRequestGoesWhereItAsks() {
        RequestEvent planned = request("b:1", "b", "gpt-4o-mini").withRoute(new RouteInfo("gpt-4o-mini", "retired", "budget: x"));

        assertThat(chooser.choose(planned).route()).isEqualTo(new RouteInfo("gpt-4o-mini", "millrace-small", RouteInfo.ALIAS));
    }

    @Test
    void aRouteOfAnyOtherReasonIsTheProducersAndIsReplaced() {
        RequestEvent forged = request("r", null, "millrace-tiny").withRoute(new RouteInfo("millrace-tiny", "millrace-small", "direct"));

        assertThat(chooser.choose(forged).route()).isEqualTo(new RouteInfo("millrace-tiny", "millrace-tiny", RouteInfo.DIRECT));
    }

    @Test
    void autoIsRoutedByTheAutoRouter() {
        assertThat(chooser.choose(request("r", null, "auto")).route())
                .isEqualTo(new RouteInfo("auto", "millrace-tiny", "auto: rule (short, no analysis words)"));
    }
}
