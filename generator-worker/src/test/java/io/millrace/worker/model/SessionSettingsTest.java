package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.worker.model.build.TinyModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionSettingsTest {
    @TempDir
    Path root;

    @Test
    void theDefaultUsesEveryCpuAndMoreThreadsThanCpusAreRefused() {
        int cpus = Runtime.getRuntime().availableProcessors();
        assertThat(SessionSettings.defaults().intraOpThreads()).isEqualTo(cpus);
        assertThatThrownBy(() -> new SessionSettings(cpus + 1))
                .hasMessageStartingWith("intraOpThreads is " + (cpus + 1) + ": set it from 1 to " + cpus);
        assertThatThrownBy(() -> new SessionSettings(0)).hasMessageStartingWith("intraOpThreads is 0");
    }

    @Test
    void aModelLoadedWithOneThreadGeneratesTheSameTokens() throws Exception {
        Path dir = root.resolve(TinyModel.NAME);
        TinyModel.write(dir);
        try (DecoderModel all = DecoderModel.load(dir);
                DecoderModel one = DecoderModel.load(dir, ModelVariant.FP32, new SessionSettings(1))) {
            int[] prompt = all.encodeChat(List.of(new ChatMessage("user", "How many stones does the mill turn?")));
            Completion expected = all.generate(prompt, SamplingParams.greedy(16));
            Completion actual = one.generate(prompt, SamplingParams.greedy(16));
            assertThat(actual.completionTokens()).isEqualTo(expected.completionTokens()).isPositive();
            assertThat(actual.text()).isEqualTo(expected.text());
        }
    }
}
