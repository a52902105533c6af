package io.millrace.ingest;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.RequestOutcome;
import io.millrace.protocol.events.RouteInfo;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Budget routing of one batch: a first pass over its lines (the same parse as publishing, so the
 * same lines are accepted in the same order) estimates each accepted line's tokens
 * ({@link TokenEstimate}) and which priced models it fits (the validator's check against each),
 * then {@link BudgetPlanner} assigns the models. The publishing pass then sets each accepted line's
 * {@code route} from the plan ({@link Routes#route}), reason {@code budget: ...}; the router keeps it.
 *
 * <p>A budget that cannot be planned fails the batch before any line is published (code
 * {@value ErrorCodes#BUDGET_NOT_PLANNED}), with what to change: {@code budget_usd} not a positive
 * number; no served model with a price and quality; a line that fits none of them; or a budget
 * below the cheapest plan (every line on its cheapest model), whose estimate the message gives.
 * Spending nothing is the only way to keep a budget the cheapest plan exceeds.
 */
public final class BudgetRouting {
    /** The batch metadata key (OpenAI metadata values are strings): USD, e.g. {@code "2.50"}. */
    public static final String METADATA_KEY = io.millrace.protocol.BudgetUsd.METADATA_KEY;
    private static final String PARAM = "metadata." + METADATA_KEY;

    private final List<ModelOffer> offers;
    private final ChatRequestValidator validator;
    private final Clock clock;

    /** @param offers the served models with a price and a quality, in the deployment file's order */
    public BudgetRouting(List<ModelOffer> offers, ChatRequestValidator validator, Clock clock) {
        if (offers.size() > BudgetPlanner.MAX_OFFERS) {
            throw new IllegalArgumentException("budget routing plans over at most " + BudgetPlanner.MAX_OFFERS + " models");
        }
        this.offers = List.copyOf(offers);
        this.validator = validator;
        this.clock = clock;
    }

    /** What planning a batch gives. */
    public sealed interface Result {}

    /** Each accepted line's route, by its index among the accepted lines. */
    public record Planned(Routes routes) implements Result {}

    /** The batch cannot be planned: fail it with this error. */
    public record Refused(ErrorInfo error) implements Result {}

    /** The plan's routes, for the publishing pass. */
    public static final class Routes {
        private final List<ModelOffer> offers;
        private final BudgetPlanner.Plan plan;
        private final String summary;

        Routes(List<ModelOffer> offers, BudgetPlanner.Plan plan, double budget) {
            this.offers = offers;
            this.plan = plan;
            this.summary = "plan est. $" + usd(plan.totalUsd()) + " of budget_usd " + usd(budget) + " for " + plan.choice().length
                    + " lines" + (plan.exact() ? "" : ", every line on its cheapest model (the solver gave no plan)");
        }

        /** The route of the {@code index}-th accepted line, which asked for {@code requested}. */
        public RouteInfo route(int index, String requested) {
            ModelOffer offer = offers.get(plan.choice()[index]);
            return new RouteInfo(requested, offer.model(), RouteInfo.BUDGET_PREFIX + "est. $" + usd(plan.costUsd()[index])
                    + " on " + offer.model() + " (quality " + offer.quality() + "); " + summary);
        }

        public int lines() {
            return plan.choice().length;
        }

        /** The plan in a phrase: estimated cost, budget, lines. */
        public String summary() {
            return summary;
        }

        public BudgetPlanner.Plan plan() {
            return plan;
        }
    }

    /**
     * Plans the lines of a batch with this {@code budget_usd}.
     *
     * @param endpoint the batch's endpoint, as {@link BatchLineParser} takes it
     */
    public Result plan(BatchIngestor.Lines lines, String batchId, String endpoint, String budgetUsd) throws IOException {
        java.util.OptionalDouble parsed = io.millrace.protocol.BudgetUsd.parse(budgetUsd);
        if (parsed.isEmpty()) {
            return refuse(PARAM + " is '" + clip(budgetUsd) + "': give the budget in US dollars as a number above 0, e.g. \"2.50\"");
        }
        double budget = parsed.getAsDouble();
        if (offers.isEmpty()) {
            return refuse(PARAM + " asks for budget routing, but no served model has both a price and a quality in the deployment"
                    + " file: give models[].price and models[].quality (see examples/millrace.yaml), or leave budget_usd out");
        }
        BatchLineParser parser = new BatchLineParser(batchId, validator, clock, endpoint);
        List<BudgetPlanner.Line> planned = new ArrayList<>();
        long[] unfit = {0};
        lines.forEach(line -> {
            if (parser.parse(line) instanceof RequestOutcome.Accepted a) {
                long candidates = candidates(a.request());
                if (candidates == 0 && unfit[0] == 0) {
                    unfit[0] = line.number();
                }
                planned.add(new BudgetPlanner.Line(TokenEstimate.of(a.request().body()), candidates));
            }
        });
        if (unfit[0] != 0) {
            return refuse("line " + unfit[0] + " fits none of the models budget routing may choose "
                    + offers.stream().map(ModelOffer::model).toList() + " (check its max_tokens against their contexts),"
                    + " so no plan can keep the budget: fix the line, or leave budget_usd out");
        }
        if (planned.isEmpty()) {
            return new Planned(new Routes(offers, new BudgetPlanner.Plan(new int[0], new double[0], 0, 0, true), budget));
        }
        BudgetPlanner.Outcome outcome = BudgetPlanner.plan(offers, planned, budget);
        if (outcome instanceof BudgetPlanner.OverBudget over) {
            return refuse(PARAM + " is " + usd(budget) + " but the cheapest plan, every line on its cheapest model, is estimated at $"
                    + usd(over.cheapestUsd()) + ": raise budget_usd to at least " + usd(over.cheapestUsd())
                    + ", or lower the lines' max_tokens (a line without one is estimated at " + TokenEstimate.DEFAULT_CHAT_OUTPUT
                    + " output tokens)");
        }
        return new Planned(new Routes(offers, (BudgetPlanner.Plan) outcome, budget));
    }

    /** The offers a request fits, as a bit mask. */
    private long candidates(RequestEvent request) {
        long mask = 0;
        for (int i = 0; i < offers.size(); i++) {
            if (validator.validate(request, offers.get(i).model()).isEmpty()) {
                mask |= 1L << i;
            }
        }
        return mask;
    }

    private static Refused refuse(String message) {
        return new Refused(new ErrorInfo(ErrorCodes.BUDGET_NOT_PLANNED, message, PARAM, null));
    }

    /** Dollars to three significant digits, never in exponent form: 0.0000123, 0.482, 12.5. */
    static String usd(double v) {
        return new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
    }

    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }
}
