package io.millrace.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CommitPacerTest {
    private static final long MS = 1_000_000;

    @Test
    void sparseHitsAreEachCommittedAtOnce() {
        CommitPacer pacer = new CommitPacer(20 * MS, 2);

        assertThat(pacer.commitNow(0)).isTrue();
        assertThat(pacer.commitNow(50 * MS)).isTrue();
        assertThat(pacer.commitNow(100 * MS)).isTrue();
    }

    @Test
    void pastMaxRecentInAWindowTheIntervalTakesOver() {
        CommitPacer pacer = new CommitPacer(20 * MS, 2);

        assertThat(pacer.commitNow(1000 * MS)).isTrue();
        assertThat(pacer.commitNow(1001 * MS)).as("second in the window").isTrue();
        assertThat(pacer.commitNow(1002 * MS)).as("third: leave it to the interval").isFalse();
        assertThat(pacer.commitNow(1003 * MS)).isFalse();
        assertThat(pacer.commitNow(1030 * MS)).as("sparse again").isTrue();
    }

    @Test
    void aFloodAsksOnlyForItsFirstHits() {
        CommitPacer pacer = new CommitPacer(20 * MS, 2);
        int asked = 0;
        for (int i = 0; i < 10_000; i++) {
            if (pacer.commitNow(5000 * MS + i * 10_000L)) { // 100,000 hits/s
                asked++;
            }
        }
        assertThat(asked).isEqualTo(2);
    }

    @Test
    void refusesAWindowOrCountThatCannotWork() {
        assertThatThrownBy(() -> new CommitPacer(0, 2)).hasMessageContaining("windowNanos must be positive");
        assertThatThrownBy(() -> new CommitPacer(MS, 0)).hasMessageContaining("maxRecent at least 1");
    }
}
