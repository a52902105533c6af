package io.millrace.results;

import static io.millrace.results.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.Json;
import io.millrace.protocol.events.BatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchFinalizerTest {
    private static final long EXPIRES = T0 + 60_000;
    private static final BatchEvent CREATED = BatchEvent.ofFile("b1", "/v1/chat/completions", "file-in", "24h", T0, EXPIRES,
            null, "acme");
    private static final BatchEvent RUNNING = CREATED.inProgress(3, T0 + 1_000);
    private static final BatchCounts TWO = new BatchCounts(2, 0, 2, T0 + 2_000, T0 + 3_000);
    private static final BatchCounts THREE = new BatchCounts(2, 1, 2, T0 + 2_000, T0 + 4_000);

    @Test
    void finalizesAFileBatchOnceEveryRequestIsAnswered() {
        assertThat(BatchFinalizer.next(RUNNING, TWO, T0 + 5_000)).isEqualTo(BatchFinalizer.Step.NONE);
        assertThat(BatchFinalizer.next(RUNNING, THREE, T0 + 5_000)).isEqualTo(BatchFinalizer.Step.FINALIZE);
        // Cancelled and expired batches end the same way once workers answered the rest.
        assertThat(BatchFinalizer.next(RUNNING.cancel(T0 + 4_000), THREE, T0 + 5_000)).isEqualTo(BatchFinalizer.Step.FINALIZE);
        // Once the files are named, nothing more: finalizing is not repeated.
        assertThat(BatchFinalizer.next(RUNNING.finalized("o", "e", T0 + 5_000, T0 + 6_000), THREE, T0 + 7_000))
                .isEqualTo(BatchFinalizer.Step.NONE);
    }

    @Test
    void leavesWhatIsNotARunningFileBatchAlone() {
        assertThat(BatchFinalizer.next(CREATED, BatchCounts.NONE, EXPIRES + 1)).as("validating").isEqualTo(BatchFinalizer.Step.NONE);
        BatchEvent command = new BatchEvent("b2", "/v1/chat/completions", "in.jsonl", 3, T0, Map.of(), null);
        assertThat(BatchFinalizer.next(command, THREE, T0 + 5_000)).as("the batch command writes its own files")
                .isEqualTo(BatchFinalizer.Step.NONE);
        BatchEvent failed = CREATED.fail(io.millrace.protocol.events.ErrorInfo.of("file_not_found", "gone"), T0 + 1);
        assertThat(BatchFinalizer.next(failed, BatchCounts.NONE, EXPIRES + 1)).isEqualTo(BatchFinalizer.Step.NONE);
    }

    @Test
    void expiresOnceItsWindowEndsWithRequestsUnansweredAndOnlyOnce() {
        assertThat(BatchFinalizer.next(RUNNING, TWO, EXPIRES - 1)).isEqualTo(BatchFinalizer.Step.NONE);
        assertThat(BatchFinalizer.next(RUNNING, TWO, EXPIRES)).isEqualTo(BatchFinalizer.Step.EXPIRE);
        assertThat(BatchFinalizer.next(RUNNING.expire(EXPIRES), TWO, EXPIRES + 1)).isEqualTo(BatchFinalizer.Step.NONE);
        assertThat(BatchFinalizer.next(RUNNING.cancel(T0 + 2), TWO, EXPIRES + 1)).as("a cancel already stops it")
                .isEqualTo(BatchFinalizer.Step.NONE);
        // A finished batch past its window still completes: it made it.
        assertThat(BatchFinalizer.next(RUNNING, THREE, EXPIRES + 1)).isEqualTo(BatchFinalizer.Step.FINALIZE);
    }

    @Test
    void writesEachResultAsOneOpenAiOutputLine() throws Exception {
        byte[] line = BatchFinalizer.line(Fixtures.success("b1", "a", T0));
        String text = new String(line, StandardCharsets.UTF_8);
        assertThat(text).endsWith("}\n").doesNotContain("\n{");
        assertThat(Json.parse(text).get("custom_id").asText()).isEqualTo("a");
        assertThat(Json.parse(text).at("/response/status_code").asInt()).isEqualTo(200);
    }
}
