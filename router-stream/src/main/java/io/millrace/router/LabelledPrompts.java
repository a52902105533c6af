package io.millrace.router;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The labelled prompt set the auto route's classifier learns from, kept in the repository
 * ({@value #RESOURCE}: {@code easy|hard<TAB>prompt} a line, {@code #} comments; how it was labelled
 * is in its header and the README). Small on purpose: it is read and trained on at router start.
 */
final class LabelledPrompts {
    static final String RESOURCE = "auto-prompts.tsv";

    /** One labelled prompt. */
    record Prompt(String text, boolean hard) {}

    /** A split into prompts to learn from and prompts held out to measure on. */
    record Split(List<Prompt> train, List<Prompt> heldOut) {}

    private LabelledPrompts() {}

    /** The bundled set, in file order. */
    static List<Prompt> bundled() {
        try (InputStream in = LabelledPrompts.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the class path beside " + LabelledPrompts.class.getName()
                        + ": the router-stream jar is incomplete; rebuild it");
            }
            return parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    static List<Prompt> parse(BufferedReader reader) throws IOException {
        List<Prompt> prompts = new ArrayList<>();
        int number = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            number++;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int tab = line.indexOf('\t');
            String label = tab < 0 ? line : line.substring(0, tab);
            if (tab < 0 || !(label.equals("easy") || label.equals("hard")) || line.substring(tab + 1).isBlank()) {
                throw new IllegalArgumentException(RESOURCE + " line " + number + ": expected easy<TAB>prompt or hard<TAB>prompt");
            }
            prompts.add(new Prompt(line.substring(tab + 1), label.equals("hard")));
        }
        return List.copyOf(prompts);
    }

    /**
     * A fixed, stratified split: each label's prompts shuffled with {@code seed}, the last
     * {@code heldOutFraction} of each held out, so both sides keep the set's balance.
     */
    static Split split(List<Prompt> prompts, double heldOutFraction, long seed) {
        List<Prompt> train = new ArrayList<>();
        List<Prompt> heldOut = new ArrayList<>();
        for (boolean hard : new boolean[] {false, true}) {
            List<Prompt> side = new ArrayList<>(prompts.stream().filter(p -> p.hard() == hard).toList());
            Collections.shuffle(side, new Random(seed));
            int cut = (int) Math.round(side.size() * (1 - heldOutFraction));
            train.addAll(side.subList(0, cut));
            heldOut.addAll(side.subList(cut, side.size()));
        }
        return new Split(List.copyOf(train), List.copyOf(heldOut));
    }
}
