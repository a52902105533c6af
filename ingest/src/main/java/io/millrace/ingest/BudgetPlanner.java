package io.millrace.ingest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ojalgo.optimisation.Expression;
import org.ojalgo.optimisation.ExpressionsBasedModel;
import org.ojalgo.optimisation.Optimisation;
import org.ojalgo.optimisation.Variable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assigns a model to each line of a batch so that the expected quality (the sum of the chosen
 * models' quality estimates) is as high as it can be while the estimated cost stays within the
 * budget: a multiple-choice knapsack, solved as an integer program with ojAlgo. Pure: the same
 * lines, offers and budget always give the same plan.
 *
 * <p>Lines with the same estimate and the same candidate models are interchangeable, so the
 * program has one integer variable per such group and model (how many of the group's lines go to
 * that model), not one per line: a 50,000-line batch of a few shapes is a program of a few dozen
 * variables. When the lines have more than {@link #MAX_GROUPS} shapes, token counts are rounded up
 * to a coarser grid until they do not: each line is then planned at a cost at or above its own
 * estimate, so the plan still keeps within the budget, and what that leaves unspent on the lines'
 * own estimates buys upgrades, best quality per dollar first. Among plans of equal quality the
 * cheaper is preferred.
 *
 * <p>A plan that cannot fit the budget even with every line on its cheapest model is
 * {@link OverBudget}, with that cheapest cost. Should the solver fail to answer, every line goes
 * to its cheapest model (within the budget, as checked first) and the plan says so.
 */
public final class BudgetPlanner {
    private static final Logger LOG = LoggerFactory.getLogger(BudgetPlanner.class);
    static final int MAX_GROUPS = 200;
    /** Offers are a bit mask per line. */
    public static final int MAX_OFFERS = 62;
    /** Weight of cost against quality in the objective: small enough never to trade quality for money. */
    private static final double COST_TIE_BREAK = 1e-7;

    /**
     * One line to plan.
     *
     * @param tokens     its estimated tokens
     * @param candidates bit i set when the line may go to offer i (it fits that model)
     */
    public record Line(TokenEstimate tokens, long candidates) {}

    /** What the planner answers. */
    public sealed interface Outcome {}

    /**
     * @param choice  per line, the index of its offer
     * @param costUsd per line, its estimated cost on that offer
     * @param exact   false when the solver gave no answer and every line went to its cheapest model
     */
    public record Plan(int[] choice, double[] costUsd, double totalUsd, double quality, boolean exact) implements Outcome {}

    /** The budget does not cover even the cheapest plan, which would cost {@code cheapestUsd}. */
    public record OverBudget(double cheapestUsd) implements Outcome {}

    private BudgetPlanner() {}

    public static Outcome plan(List<ModelOffer> offers, List<Line> lines, double budgetUsd) {
        if (offers.isEmpty() || offers.size() > MAX_OFFERS) {
            throw new IllegalArgumentException("budget planning needs 1 to " + MAX_OFFERS + " models, not " + offers.size());
        }
        if (!(budgetUsd > 0) || Double.isInfinite(budgetUsd)) {
            throw new IllegalArgumentException("the budget is " + budgetUsd + ": give a positive number of USD");
        }
        for (int i = 0; i < lines.size(); i++) {
            if ((lines.get(i).candidates() & ((1L << offers.size()) - 1)) == 0) {
                throw new IllegalArgumentException("line " + i + " has no candidate model: leave it out of the plan");
            }
        }
        List<Group> groups = group(lines);
        double cheapest = 0;
        for (Group g : groups) {
            cheapest += g.count() * g.cost(offers, g.cheapest(offers));
        }
        if (cheapest > budgetUsd) {
            return new OverBudget(cheapest);
        }
        int[][] counts = solve(offers, groups, budgetUsd);
        boolean exact = counts != null;
        if (!exact) {
            LOG.warn("the budget planner's solver gave no plan; every line goes to its cheapest model");
            counts = new int[groups.size()][offers.size()];
            for (int g = 0; g < groups.size(); g++) {
                counts[g][groups.get(g).cheapest(offers)] = groups.get(g).count();
            }
        }
        Plan plan = expand(offers, lines, groups, counts, exact);
        return coarse(groups, lines) ? upgraded(offers, lines, plan, budgetUsd) : plan;
    }

    private static boolean coarse(List<Group> groups, List<Line> lines) {
        return groups.stream().anyMatch(g -> g.lines().stream().anyMatch(i -> lines.get(i).tokens().input() != g.input()
                || lines.get(i).tokens().output() != g.output()));
    }

    /**
     * A plan made on rounded-up token counts leaves part of the budget unspent on the lines' own
     * estimates: spend it on upgrades, best quality per dollar first, while they fit.
     */
    private static Plan upgraded(List<ModelOffer> offers, List<Line> lines, Plan plan, double budgetUsd) {
        int[] choice = plan.choice().clone();
        double[] cost = plan.costUsd().clone();
        double total = plan.totalUsd();
        record Upgrade(int line, int offer, double gainPerUsd) {}
        List<Upgrade> upgrades = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            for (int m = 0; m < offers.size(); m++) {
                double gain = offers.get(m).quality() - offers.get(choice[i]).quality();
                if (gain > 0 && (lines.get(i).candidates() & (1L << m)) != 0) {
                    double extra = offers.get(m).costUsd(lines.get(i).tokens().input(), lines.get(i).tokens().output()) - cost[i];
                    upgrades.add(new Upgrade(i, m, extra <= 0 ? Double.MAX_VALUE : gain / extra));
                }
            }
        }
        upgrades.sort((a, b) -> Double.compare(b.gainPerUsd(), a.gainPerUsd()));
        double quality = plan.quality();
        for (Upgrade u : upgrades) {
            Line l = lines.get(u.line());
            double newCost = offers.get(u.offer()).costUsd(l.tokens().input(), l.tokens().output());
            double gain = offers.get(u.offer()).quality() - offers.get(choice[u.line()]).quality();
            if (gain > 0 && total - cost[u.line()] + newCost <= budgetUsd) {
                total += newCost - cost[u.line()];
                quality += gain;
                choice[u.line()] = u.offer();
                cost[u.line()] = newCost;
            }
        }
        return new Plan(choice, cost, total, quality, plan.exact());
    }

    /** Lines of one shape: the same (possibly rounded) tokens and candidates. */
    private record Group(long input, long output, long candidates, List<Integer> lines) {
        int count() {
            return lines.size();
        }

        double cost(List<ModelOffer> offers, int offer) {
            return offers.get(offer).costUsd(input, output);
        }

        boolean allows(int offer) {
            return (candidates & (1L << offer)) != 0;
        }

        int cheapest(List<ModelOffer> offers) {
            int best = -1;
            for (int m = 0; m < offers.size(); m++) {
                // Ties go to the better model: the cheapest plan is also the best of the cheapest.
                if (allows(m) && (best < 0 || cost(offers, m) < cost(offers, best)
                        || cost(offers, m) == cost(offers, best) && offers.get(m).quality() > offers.get(best).quality())) {
                    best = m;
                }
            }
            return best;
        }
    }

    private static List<Group> group(List<Line> lines) {
        for (double step = 1.0; ; step *= 1.25) {
            Map<List<Long>, List<Integer>> shapes = new LinkedHashMap<>();
            for (int i = 0; i < lines.size(); i++) {
                Line l = lines.get(i);
                List<Long> key = List.of(roundUp(l.tokens().input(), step), roundUp(l.tokens().output(), step), l.candidates());
                shapes.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
            }
            if (shapes.size() <= MAX_GROUPS || step > 1e6) {
                List<Group> groups = new ArrayList<>();
                shapes.forEach((k, members) -> groups.add(new Group(k.get(0), k.get(1), k.get(2), members)));
                return groups;
            }
        }
    }

    /** {@code tokens} rounded up to the next whole power of {@code ratio}; as it is when the ratio is 1. */
    static long roundUp(long tokens, double ratio) {
        if (ratio <= 1.0 || tokens <= 1) {
            return tokens;
        }
        long k = (long) Math.ceil(Math.log(tokens) / Math.log(ratio) - 1e-9);
        return Math.max(tokens, (long) Math.ceil(Math.pow(ratio, k) - 1e-9));
    }

    /** Counts per group and offer from the integer program, or null when the solver gives none. */
    private static int[][] solve(List<ModelOffer> offers, List<Group> groups, double budgetUsd) {
        ExpressionsBasedModel model = new ExpressionsBasedModel();
        // Costs as fractions of the budget: the constraint's numbers stay near 1 whatever the currency scale.
        Expression budget = model.addExpression("budget").upper(1.0);
        Variable[][] vars = new Variable[groups.size()][offers.size()];
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            Expression all = model.addExpression("lines-" + g).level(group.count());
            for (int m = 0; m < offers.size(); m++) {
                if (!group.allows(m)) {
                    continue;
                }
                double share = group.cost(offers, m) / budgetUsd;
                Variable v = model.addVariable("g" + g + "-m" + m).lower(0).upper(group.count()).integer(true)
                        .weight(offers.get(m).quality() - COST_TIE_BREAK * share);
                all.set(v, 1);
                budget.set(v, share);
                vars[g][m] = v;
            }
        }
        Optimisation.Result result;
        try {
            result = model.maximise();
        } catch (RuntimeException e) {
            LOG.warn("the budget planner's solver failed: {}", e.toString());
            return null;
        }
        if (!result.getState().isFeasible()) {
            return null;
        }
        int[][] counts = new int[groups.size()][offers.size()];
        for (int g = 0; g < groups.size(); g++) {
            int assigned = 0;
            for (int m = 0; m < offers.size(); m++) {
                if (vars[g][m] != null) {
                    counts[g][m] = (int) Math.round(vars[g][m].getValue().doubleValue());
                    assigned += counts[g][m];
                }
            }
            if (assigned != groups.get(g).count()) {
                return null; // not an answer to this program: trust none of it
            }
        }
        return repaired(offers, groups, counts, budgetUsd);
    }

    /**
     * The solver's tolerances may leave a plan a hair over the budget: move lines to their group's
     * cheapest model, the costliest first, until it is within. Null when that cannot help.
     */
    private static int[][] repaired(List<ModelOffer> offers, List<Group> groups, int[][] counts, double budgetUsd) {
        double total = 0;
        for (int g = 0; g < groups.size(); g++) {
            for (int m = 0; m < offers.size(); m++) {
                total += counts[g][m] * groups.get(g).cost(offers, m);
            }
        }
        while (total > budgetUsd) {
            int bestG = -1;
            int bestM = -1;
            double saving = 0;
            for (int g = 0; g < groups.size(); g++) {
                int cheap = groups.get(g).cheapest(offers);
                for (int m = 0; m < offers.size(); m++) {
                    double s = groups.get(g).cost(offers, m) - groups.get(g).cost(offers, cheap);
                    if (counts[g][m] > 0 && s > saving) {
                        bestG = g;
                        bestM = m;
                        saving = s;
                    }
                }
            }
            if (bestG < 0) {
                return null;
            }
            counts[bestG][bestM]--;
            counts[bestG][groups.get(bestG).cheapest(offers)]++;
            total -= saving;
        }
        return counts;
    }

    /** Gives each group's lines, in line order, to its models in offer order; costs are each line's own estimate. */
    private static Plan expand(List<ModelOffer> offers, List<Line> lines, List<Group> groups, int[][] counts, boolean exact) {
        int[] choice = new int[lines.size()];
        double[] cost = new double[lines.size()];
        double total = 0;
        double quality = 0;
        for (int g = 0; g < groups.size(); g++) {
            Group group = groups.get(g);
            int next = 0;
            for (int m = 0; m < offers.size(); m++) {
                for (int k = 0; k < counts[g][m]; k++) {
                    int line = group.lines().get(next++);
                    choice[line] = m;
                    cost[line] = offers.get(m).costUsd(lines.get(line).tokens().input(), lines.get(line).tokens().output());
                    total += cost[line];
                    quality += offers.get(m).quality();
                }
            }
        }
        return new Plan(choice, cost, total, quality, exact);
    }
}
