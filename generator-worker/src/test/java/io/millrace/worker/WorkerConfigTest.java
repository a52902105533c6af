package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.worker.model.EngineConfig;
import io.millrace.worker.model.SessionSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {
    @Test
    void defaultsFollowTheEngineBatchSize() {
        WorkerConfig batch = WorkerConfig.from(Map.of());
        assertThat(batch.engine()).isEqualTo(WorkerConfig.Engine.BATCH);
        assertThat(batch.batching()).isEqualTo(EngineConfig.defaults());
        assertThat(batch.session()).isEqualTo(SessionSettings.defaults());
        assertThat(batch.maxInFlight()).isEqualTo(4 * EngineConfig.defaults().maxBatchSize());
        assertThat(batch.maxQueuedPerPartition()).isEqualTo(Math.max(64, 16 * EngineConfig.defaults().maxBatchSize()));
        assertThat(batch.commitInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(batch.commitMaxResults()).isEqualTo(64);
        assertThat(batch.batching().kvMemoryBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 2);

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

    @Test
    void engineSettingsReachTheBatchingAndTheInFlightDefaultsFollowThem() {
        WorkerConfig c = WorkerConfig.from(Map.of(WorkerConfig.MAX_BATCH_SIZE, "4", WorkerConfig.MAX_BATCH_TOKENS, 96,
                WorkerConfig.PREFILL_CHUNK, " 32 ", WorkerConfig.INTRA_OP_THREADS, "1"));
        assertThat(c.batching()).isEqualTo(new EngineConfig(4, 96, 32, EngineConfig.defaults().prefixCacheBytes()));
        assertThat(c.session().intraOpThreads()).isEqualTo(1);
        assertThat(c.maxInFlight()).isEqualTo(16);
        // An unset budget or chunk follows what was set, so one setting alone is always valid.
        assertThat(WorkerConfig.from(Map.of(WorkerConfig.MAX_BATCH_SIZE, 1024)).batching().maxBatchTokens()).isEqualTo(1024);
        assertThat(WorkerConfig.from(Map.of(WorkerConfig.MAX_BATCH_TOKENS, 64)).batching().prefillChunk()).isEqualTo(64);
        // The sequential engine runs one request at a time whatever the batch size.
        assertThat(WorkerConfig.from(Map.of(WorkerConfig.ENGINE, "sequential", WorkerConfig.MAX_BATCH_SIZE, 8)).maxInFlight())
                .isEqualTo(4);
    }

    @Test
    void onnxRuntimeSpinsByDefaultAndTheSettingTurnsItOff() {
        assertThat(WorkerConfig.from(Map.of()).session().spinning()).isTrue();
        assertThat(WorkerConfig.from(Map.of(WorkerConfig.SPINNING, "false")).session())
                .isEqualTo(new SessionSettings(SessionSettings.cpus(), false));
    }

    @Test
    void badEngineSettingsNameTheKeyTheValueAndTheFix() {
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.MAX_BATCH_SIZE, 0)))
                .hasMessage("worker.engine.max.batch.size is 0: set it to at least 1 (16 suits a CPU)");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.MAX_BATCH_SIZE, "sixteen")))
                .hasMessage("worker.engine.max.batch.size is 'sixteen': it must be a whole number");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.MAX_BATCH_SIZE, 32, WorkerConfig.MAX_BATCH_TOKENS, 16)))
                .hasMessageStartingWith("worker.engine.max.batch.tokens is 16 but worker.engine.max.batch.size is 32:"
                        + " raise worker.engine.max.batch.tokens to at least worker.engine.max.batch.size");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.PREFILL_CHUNK, 600)))
                .hasMessageStartingWith("worker.engine.prefill.chunk is 600: set it from 1 to worker.engine.max.batch.tokens (512)");
        int cpus = SessionSettings.cpus();
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.INTRA_OP_THREADS, cpus + 1)))
                .hasMessageStartingWith("worker.ort.intra.threads is " + (cpus + 1) + ": set it from 1 to " + cpus);
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.INTRA_OP_THREADS, 0)))
                .hasMessageStartingWith("worker.ort.intra.threads is 0: set it from 1 to " + cpus);
        assertThatThrownBy(() -> WorkerConfig.from(Map.of(WorkerConfig.SPINNING, "yes")))
                .hasMessage("worker.ort.spinning is 'yes': it must be true or false");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("worker.engine.max.batch", 8)))
                .hasMessageStartingWith("worker.engine.max.batch: the worker has no such setting; use one of [")
                .hasMessageContaining(WorkerConfig.MAX_BATCH_SIZE);
    }

    @Test
    void clientOverridesThatWouldBreakExactlyOnceAreRefusedWithTheReason() {
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("consumer.isolation.level", "read_uncommitted")))
                .hasMessageStartingWith("consumer.isolation.level=read_uncommitted is refused: it would break exactly-once results:")
                .hasMessageContaining("aborted").hasMessageEndingWith("remove the setting (the worker uses read_committed)");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("consumer.enable.auto.commit", true)))
                .hasMessageStartingWith("consumer.enable.auto.commit=true is refused");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("producer.enable.idempotence", "false")))
                .hasMessageStartingWith("producer.enable.idempotence=false is refused");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("producer.acks", "1")))
                .hasMessageStartingWith("producer.acks=1 is refused");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("producer.transactional.id", "mine")))
                .hasMessageStartingWith("producer.transactional.id=mine is refused").hasMessageEndingWith("set --instance-id instead");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("consumer.group.id", "other")))
                .hasMessageContaining("another group would generate every request again");
        assertThatThrownBy(() -> WorkerConfig.from(Map.of("consumer.group.instance.id", "w9")))
                .hasMessageEndingWith("set --instance-id instead");
        // Restating what the worker sets anyway, or tuning what the guarantee does not rest on, passes.
        WorkerConfig.from(Map.of("consumer.isolation.level", "READ_COMMITTED", "consumer.enable.auto.commit", "false",
                "producer.enable.idempotence", true, "producer.acks", "all", "producer.linger.ms", 5,
                "consumer.max.poll.interval.ms", 60000));
    }
}
