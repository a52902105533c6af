package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void progressPrintsPlainLinesWithCountsRateAndEta() {
        var bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true), false, 10);
        p.update(0, 0, true);
        p.update(5, 100, true);
        String out = bytes.toString();
        assertThat(out).contains("progress 0/10").contains("progress 5/10").contains("tok/s").contains("ETA");
        p.update(10, 200, true);
        p.update(10, 200, true);
        assertThat(bytes.toString().split("progress 10/10", -1)).as("the final line once").hasSize(2);
        assertThat(Progress.format(Duration.ofSeconds(3725))).isEqualTo("1h02m");
        assertThat(Progress.format(Duration.ofSeconds(65))).isEqualTo("1m05s");
    }
}
