package io.millrace.router;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RouteInfo;
import java.util.Optional;

/**
 * Picks the served model of a valid request and says why ({@link RouteInfo}), in this order:
 * <ol>
 *   <li>a budget plan's route (set by ingest, reason {@code budget: ...}) naming a served model: kept,
 *       once the request is checked against that model (its context, its vocabulary); one naming a
 *       model not served here is ignored and the request goes where it asks;
 *   <li>{@code "auto"}, when the catalog accepts it: {@link AutoRouter};
 *   <li>a served model ({@code direct}) or an alias's ({@code alias}).
 * </ol>
 * Pure: the same event always gets the same route.
 */
final class RouteChooser {
    /** A route, or the problem that keeps the request from its planned model. */
    record Choice(RouteInfo route, ErrorInfo problem) {}

    private final ModelCatalog catalog;
    private final ChatRequestValidator validator;
    private final AutoRouter auto;

    RouteChooser(ModelCatalog catalog, ChatRequestValidator validator, AutoRouter auto) {
        this.catalog = catalog;
        this.validator = validator;
        this.auto = auto;
    }

    /** @param event a request the validator accepted as sent */
    Choice choose(RequestEvent event) {
        String requested = event.requestedModel();
        RouteInfo planned = event.route();
        if (planned != null && planned.budget() && catalog.names().contains(planned.model())) {
            Optional<ErrorInfo> problem = validator.validate(event, planned.model());
            return problem.map(p -> new Choice(null, p))
                    .orElseGet(() -> new Choice(new RouteInfo(requested, planned.model(), planned.reason()), null));
        }
        Optional<ModelCatalog.AutoModels> autoModels = catalog.auto();
        if (ModelCatalog.AUTO.equals(requested) && autoModels.isPresent()) {
            return new Choice(auto.route(event.body(), autoModels.get()), null);
        }
        // An alias is routed to its served model; the body keeps the name the client sent, so the
        // routed event records both (body.model: requested, model: served).
        String served = catalog.resolve(requested).orElseThrow(() -> new IllegalStateException(
                "the validator accepted model " + requested + ", which the catalog does not resolve"));
        return new Choice(new RouteInfo(requested, served, served.equals(requested) ? RouteInfo.DIRECT : RouteInfo.ALIAS), null);
    }
}
