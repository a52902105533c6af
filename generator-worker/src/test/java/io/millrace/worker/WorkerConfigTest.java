package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
    @Test
    void defaultsFollowTheEngineBatchSize() {
        WorkerConfig batch = WorkerConfig.from(Map.of());
        assertThat(batch.engine()).isEqualTo(WorkerConfig.Engine.BATCH);
        assertThat(batch.maxInFlight()).isEqualTo(4 * WorkerConfig.BATCHING.maxBatchSize());
        assertThat(batch.maxQueuedPerPartition()).isEqualTo(Math.max(64, 16 * WorkerConfig.BATCHING.maxBatchSize()));
        assertThat(batch.commitInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(batch.commitMaxResults()).isEqualTo(64);
        assertThat(batch.kvMemoryBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 2);
        assertThat(batch.batching().kvMemoryBytes()).isEqualTo(batch.kvMemoryBytes());

        WorkerConfig sequential = WorkerConfig.from(Map.of(WorkerConfig.ENGINE, "Sequential"));
        assertThat(sequential.engine()).isEqualTo(WorkerConfig.Engine.SEQUENTIAL);
        assertThat(sequential.maxInFlight()).isEqualTo(4);
        assertThat(sequential.maxQueuedPerPartition()).isEqualTo(64);
    }

    @Test
    void overridesWinAndBadValuesNameTheKey() {
        WorkerConfig c = WorkerConfig.from(Map.of(WorkerConfig.MAX_IN_FLIGHT, "3", WorkerConfig.COMMIT_INTERVAL_MS, 0));
        assertThat(c.maxInFlight()).isEqualTo(3);
        assertThat(c.commitInterval()).isZero();
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.MAX_IN_FLIGHT, "many")))
                .hasMessageContaining(WorkerConfig.MAX_IN_FLIGHT).hasMessageContaining("whole number");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.COMMIT_MAX_RESULTS, 0)))
                .hasMessageContaining(WorkerConfig.COMMIT_MAX_RESULTS);
        assertThat(WorkerConfig.from(Map.of(WorkerConfig.KV_MEMORY, "512m")).batching().kvMemoryBytes()).isEqualTo(512L << 20);
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.KV_MEMORY, "half")))
                .hasMessageContaining(WorkerConfig.KV_MEMORY).hasMessageContaining("such as 512m or 2g");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.KV_MEMORY, "64k")))
                .hasMessageContaining("give the KV cache at least 1m");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.ENGINE, "gpu")))
                .hasMessageContaining(WorkerConfig.ENGINE).hasMessageContaining("batch or sequential");
    }
}
