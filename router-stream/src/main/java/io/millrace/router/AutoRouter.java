package io.millrace.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.events.RouteInfo;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the model for {@code "model": "auto"}: the {@link ComplexityClassifier}'s answer when it
 * is sure (p(hard) at least {@link #SURE_HARD}: the large model; at most {@link #SURE_EASY}: the
 * small one), else the {@link SeedRule} (short and without analysis words: the small model). The
 * rule alone decides when the classifier is unavailable (it failed to train at start). The route's
 * reason says which decided and how sure it was, e.g. {@code auto: classifier p(hard)=0.83} or
 * {@code auto: rule (short, no analysis words)}. Immutable; shared by every stream thread.
 */
public final class AutoRouter {
    private static final Logger LOG = LoggerFactory.getLogger(AutoRouter.class);
    static final double SURE_HARD = 0.65;
    static final double SURE_EASY = 0.35;
    static final String RULE_SIMPLE = "auto: rule (short, no analysis words)";
    static final String RULE_COMPLEX = "auto: rule (long or analysis words)";

    /** The seed's rule only: for tests, and what {@link #trained} falls back to. */
    public static final AutoRouter RULE_ONLY = new AutoRouter(null);

    /** A prompt's probability of being hard: {@link ComplexityClassifier#pHard}. */
    @FunctionalInterface
    interface Complexity {
        double pHard(String prompt);
    }

    private final Complexity classifier;

    /** @param classifier null: the rule alone */
    AutoRouter(Complexity classifier) {
        this.classifier = classifier;
    }

    /**
     * Trains the classifier on the bundled prompts (well under a second); when that fails, logs
     * why and routes by the rule alone, so a broken classifier never stops the router.
     */
    public static AutoRouter trained() {
        long start = System.nanoTime();
        try {
            ComplexityClassifier c = ComplexityClassifier.train(LabelledPrompts.bundled());
            LOG.info("auto routing: classifier trained on {} in {} ms", LabelledPrompts.RESOURCE, (System.nanoTime() - start) / 1_000_000);
            return new AutoRouter(c::pHard);
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("auto routing: the classifier could not be trained ({}); \"auto\" is routed by the rule alone", e.toString());
            return RULE_ONLY;
        }
    }

    public boolean hasClassifier() {
        return classifier != null;
    }

    /** Where a request for {@code auto} with this body goes, and why. */
    RouteInfo route(JsonNode body, ModelCatalog.AutoModels models) {
        String prompt = PromptText.of(body);
        Optional<Double> pHard = Optional.empty();
        if (classifier != null) {
            double p = classifier.pHard(prompt);
            pHard = Optional.of(p);
            if (p >= SURE_HARD || p <= SURE_EASY) {
                return new RouteInfo(ModelCatalog.AUTO, p >= SURE_HARD ? models.large() : models.small(),
                        "auto: classifier p(hard)=" + twoDecimals(p));
            }
        }
        boolean simple = SeedRule.simple(prompt);
        String unsure = pHard.map(p -> ", classifier unsure at p(hard)=" + twoDecimals(p)).orElse("");
        return new RouteInfo(ModelCatalog.AUTO, simple ? models.small() : models.large(),
                (simple ? RULE_SIMPLE : RULE_COMPLEX) + unsure);
    }

    private static String twoDecimals(double p) {
        return String.format(Locale.ROOT, "%.2f", p);
    }
}
