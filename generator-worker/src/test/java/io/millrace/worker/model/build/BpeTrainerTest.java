package io.millrace.worker.model.build;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BpeTrainerTest {
    @Test
    void mergesTheMostFrequentPairFirstAndNeverAcrossWords() {
        BpeTrainer.Vocabulary v = new BpeTrainer(10, 2).train("low lower lowest low");
        // "lo" occurs 4 times (every word), tying with "ow"; the tie goes to the smaller pair.
        assertThat(v.merges().get(0)).isEqualTo(new BpeTrainer.Pair("l", "o"));
        assertThat(v.merges().get(1)).isEqualTo(new BpeTrainer.Pair("lo", "w"));
        assertThat(v.tokenIds()).containsEntry("low", 257).hasSize(256 + v.merges().size());
        // Words after the first start with a space (Ġ), which pre-tokenization keeps on the word.
        assertThat(v.merges()).allSatisfy(p -> assertThat(p.left() + p.right()).doesNotContain(" "));
    }

    @Test
    void stopsWhenNoPairRepeats() {
        BpeTrainer.Vocabulary v = new BpeTrainer(100, 2).train("abc");
        assertThat(v.merges()).isEmpty();
        assertThat(v.tokenIds()).hasSize(256);
    }

    @Test
    void fillTopsUpWithSyntheticMergesToTheExactSizeDeterministically() {
        BpeTrainer.Vocabulary trained = new BpeTrainer(10, 2).train("low lower lowest low");
        BpeTrainer.Vocabulary full = BpeTrainer.fill(trained, 2000);
        assertThat(full.tokenIds()).hasSize(2000);
        assertThat(full).isEqualTo(BpeTrainer.fill(trained, 2000));
        // The learned merges keep their ranks, ahead of the synthetic ones.
        assertThat(full.merges().subList(0, trained.merges().size())).isEqualTo(trained.merges());
        assertThat(full.merges()).hasSize(2000 - 256).doesNotHaveDuplicates();
        // Every merge joins two tokens into a third, each id once, in order: what tokenizer.json needs.
        assertThat(full.merges()).allSatisfy(p -> {
            assertThat(full.tokenIds()).containsKeys(p.left(), p.right(), p.left() + p.right());
            assertThat(full.tokenIds().get(p.left() + p.right())).isGreaterThan(full.tokenIds().get(p.left()));
        });
        assertThat(full.tokenIds().values()).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, 2000).boxed().toList());
    }
}
