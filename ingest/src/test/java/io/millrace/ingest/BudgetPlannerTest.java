package io.millrace.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BudgetPlannerTest {
    /** Per million tokens: cheap and fair, mid, dear and good. */
    private static final List<ModelOffer> OFFERS = List.of(
            new ModelOffer("small", 0.10, 0.40, 0.55),
            new ModelOffer("mid", 1.00, 2.00, 0.70),
            new ModelOffer("large", 5.00, 15.00, 0.90));
    private static final long ALL = 0b111;

    private static BudgetPlanner.Line line(long input, long output) {
        return new BudgetPlanner.Line(new TokenEstimate(input, output), ALL);
    }

    @Test
    void aGenerousBudgetPutsEveryLineOnTheBestModel() {
        List<BudgetPlanner.Line> lines = List.of(line(1000, 500), line(20, 10), line(300, 300));

        BudgetPlanner.Plan plan = (BudgetPlanner.Plan) BudgetPlanner.plan(OFFERS, lines, 100.0);

        assertThat(plan.choice()).containsOnly(2);
        assertThat(plan.exact()).isTrue();
        assertThat(plan.quality()).isCloseTo(2.7, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void aBudgetBelowTheCheapestPlanIsOverBudgetWithThatPlansCost() {
        List<BudgetPlanner.Line> lines = List.of(line(1_000_000, 0), line(1_000_000, 0));

        BudgetPlanner.Outcome outcome = BudgetPlanner.plan(OFFERS, lines, 0.19);

        assertThat(outcome).isInstanceOf(BudgetPlanner.OverBudget.class);
        assertThat(((BudgetPlanner.OverBudget) outcome).cheapestUsd()).isCloseTo(0.2, org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void theBudgetIsKeptAndTheQualityIsTheBestAnyAssignmentReaches() {
        Random random = new Random(11);
        for (int trial = 0; trial < 40; trial++) {
            List<BudgetPlanner.Line> lines = new ArrayList<>();
            int n = 1 + random.nextInt(6);
            for (int i = 0; i < n; i++) {
                // Some lines may not go everywhere (too long for a model's context): the plan must respect that.
                long candidates = random.nextInt(4) == 0 ? 0b011 : ALL;
                lines.add(new BudgetPlanner.Line(new TokenEstimate(1 + random.nextInt(3000), 1 + random.nextInt(2000)), candidates));
            }
            double cheapest = bruteForce(lines, Double.MAX_VALUE, true);
            double budget = cheapest * (1 + random.nextDouble() * 30);

            BudgetPlanner.Plan plan = (BudgetPlanner.Plan) BudgetPlanner.plan(OFFERS, lines, budget);

            double cost = 0;
            double quality = 0;
            for (int i = 0; i < n; i++) {
                int m = plan.choice()[i];
                assertThat(lines.get(i).candidates() & (1L << m)).as("line %d on a model it fits", i).isNotZero();
                cost += OFFERS.get(m).costUsd(lines.get(i).tokens().input(), lines.get(i).tokens().output());
                quality += OFFERS.get(m).quality();
            }
            assertThat(cost).as("trial %d: within the budget", trial).isLessThanOrEqualTo(budget);
            assertThat(plan.totalUsd()).isCloseTo(cost, org.assertj.core.data.Offset.offset(1e-12));
            assertThat(quality).as("trial %d: as good as the best of every %d^%d assignments", trial, OFFERS.size(), n)
                    .isCloseTo(bruteForce(lines, budget, false), org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    @Test
    void ofTwoPlansOfEqualQualityTheCheaperIsChosen() {
        List<ModelOffer> twins = List.of(new ModelOffer("dear", 2.0, 2.0, 0.8), new ModelOffer("cheap", 1.0, 1.0, 0.8));

        BudgetPlanner.Plan plan = (BudgetPlanner.Plan) BudgetPlanner.plan(twins, List.of(
                new BudgetPlanner.Line(new TokenEstimate(100, 100), 0b11)), 1.0);

        assertThat(plan.choice()).containsExactly(1);
    }

    @Test
    void manyShapesAreRoundedUpIntoFewGroupsAndTheBudgetStillHolds() {
        Random random = new Random(3);
        List<BudgetPlanner.Line> lines = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            lines.add(line(1 + random.nextInt(5_000), 1 + random.nextInt(1_000)));
        }
        double cheapest = 0;
        for (BudgetPlanner.Line l : lines) {
            cheapest += OFFERS.get(0).costUsd(l.tokens().input(), l.tokens().output());
        }
        double budget = cheapest * 6;

        long start = System.nanoTime();
        BudgetPlanner.Plan plan = (BudgetPlanner.Plan) BudgetPlanner.plan(OFFERS, lines, budget);
        long ms = (System.nanoTime() - start) / 1_000_000;

        double exactCost = 0;
        for (int i = 0; i < lines.size(); i++) {
            exactCost += OFFERS.get(plan.choice()[i]).costUsd(lines.get(i).tokens().input(), lines.get(i).tokens().output());
        }
        System.out.printf("budget plan of %d lines in %d ms: %.4f of %.4f USD, quality %.1f%n",
                lines.size(), ms, exactCost, budget, plan.quality());
        assertThat(plan.exact()).isTrue();
        assertThat(exactCost).isLessThanOrEqualTo(budget);
        assertThat(plan.totalUsd()).isCloseTo(exactCost, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(exactCost).as("the rounding's slack is spent on upgrades").isGreaterThan(budget * 0.99);
        assertThat(plan.choice()).as("the budget buys better models for some lines").contains(1, 2);
    }

    @Test
    void refusesLinesWithNoCandidateAndBadBudgets() {
        assertThatThrownBy(() -> BudgetPlanner.plan(OFFERS, List.of(new BudgetPlanner.Line(new TokenEstimate(1, 1), 0)), 1.0))
                .hasMessageContaining("no candidate");
        assertThatThrownBy(() -> BudgetPlanner.plan(OFFERS, List.of(line(1, 1)), 0)).hasMessageContaining("positive");
    }

    @Test
    void roundsTokensUpToAGrid() {
        assertThat(BudgetPlanner.roundUp(1000, 1.0)).isEqualTo(1000);
        assertThat(BudgetPlanner.roundUp(1000, 2.0)).isEqualTo(1024);
        assertThat(BudgetPlanner.roundUp(1024, 2.0)).isEqualTo(1024);
        assertThat(BudgetPlanner.roundUp(1, 2.0)).isEqualTo(1);
    }

    /**
     * Every assignment of models to lines: the best quality within {@code budget}, or (cheapest)
     * the lowest cost of any assignment.
     */
    private static double bruteForce(List<BudgetPlanner.Line> lines, double budget, boolean cheapest) {
        int n = lines.size();
        int m = OFFERS.size();
        int combos = (int) Math.pow(m, n);
        double best = cheapest ? Double.MAX_VALUE : -1;
        for (int c = 0; c < combos; c++) {
            double cost = 0;
            double quality = 0;
            boolean allowed = true;
            int code = c;
            for (int i = 0; i < n; i++) {
                int choice = code % m;
                code /= m;
                allowed &= (lines.get(i).candidates() & (1L << choice)) != 0;
                cost += OFFERS.get(choice).costUsd(lines.get(i).tokens().input(), lines.get(i).tokens().output());
                quality += OFFERS.get(choice).quality();
            }
            if (!allowed) {
                continue;
            }
            if (cheapest) {
                best = Math.min(best, cost);
            } else if (cost <= budget) {
                best = Math.max(best, quality);
            }
        }
        return best;
    }
}
