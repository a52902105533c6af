package io.millrace.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EngineConfigTest {
    @Test
    void defaultsAreValid() {
        EngineConfig d = EngineConfig.defaults();
        assertThat(d.maxBatchSize()).isEqualTo(16);
        assertThat(d.maxBatchTokens()).isEqualTo(512);
        assertThat(d.prefillChunk()).isEqualTo(256);
        assertThat(d.prefixCacheBytes()).isPositive();
        assertThat(d.kvMemoryBytes()).isEqualTo(EngineConfig.defaultKvMemoryBytes())
                .isEqualTo(Runtime.getRuntime().maxMemory() / 2);
    }

    @Test
    void rejectsSettingsThatCannotWorkNamingTheFix() {
        assertThatThrownBy(() -> new EngineConfig(0, 512, 256, 0)).hasMessageContaining("maxBatchSize is 0: set it to at least 1");
        assertThatThrownBy(() -> new EngineConfig(16, 8, 8, 0))
                .hasMessageContaining("raise maxBatchTokens to at least maxBatchSize");
        assertThatThrownBy(() -> new EngineConfig(16, 512, 0, 0)).hasMessageContaining("set it from 1 to maxBatchTokens (512)");
        assertThatThrownBy(() -> new EngineConfig(16, 512, 513, 0)).hasMessageContaining("prefillChunk is 513");
        assertThatThrownBy(() -> new EngineConfig(16, 512, 256, -1)).hasMessageContaining("set it to 0 (off) or more");
        assertThatThrownBy(() -> new EngineConfig(16, 512, 256, 0, 0)).hasMessageContaining("kvMemoryBytes is 0: set it to a positive size");
    }
}
