package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class InFlightTest {
    static final TopicPartition P0 = new TopicPartition("t", 0);
    static final TopicPartition P1 = new TopicPartition("t", 1);

    private final InFlight inFlight = new InFlight();

    private static RequestEvent request(String id) {
        return new RequestEvent(id, "b", id, null, "POST", "/v1/chat/completions", null, "m", 0);
    }

    private static ResultEvent ok(String id) {
        return new ResultEvent(id, "b", id, null, "m", 200, null, null, true, 0, null);
    }

    private CompletableFuture<ResultEvent> add(TopicPartition tp, long offset) {
        CompletableFuture<ResultEvent> f = new CompletableFuture<>();
        inFlight.add(new InFlight.Entry(tp, offset, request(tp.partition() + "@" + offset), f));
        return f;
    }

    @Test
    void takesOnlyThePrefixBeforeTheFirstUnansweredRequest() {
        CompletableFuture<ResultEvent> a = add(P0, 10);
        CompletableFuture<ResultEvent> b = add(P0, 11);
        CompletableFuture<ResultEvent> c = add(P0, 13); // offsets may have gaps (transaction markers)
        b.complete(ok("b"));
        c.complete(ok("c"));
        assertThat(inFlight.readyCount(List.of(P0))).isZero();
        assertThat(inFlight.takeReady(List.of(P0))).isEmpty();

        a.complete(ok("a"));
        assertThat(inFlight.readyCount(List.of(P0))).isEqualTo(3);
        Map<TopicPartition, List<InFlight.Entry>> taken = inFlight.takeReady(List.of(P0));
        assertThat(taken.get(P0)).extracting(InFlight.Entry::offset).containsExactly(10L, 11L, 13L);
        assertThat(InFlight.nextOffset(taken.get(P0))).isEqualTo(14);
        assertThat(taken.get(P0)).extracting(InFlight.Entry::result).extracting(ResultEvent::requestId)
                .containsExactly("a", "b", "c");
        assertThat(inFlight.size()).isZero();
    }

    @Test
    void knowsWhetherATakeableResultAnswersAWaitingClient() {
        CompletableFuture<ResultEvent> batch = add(P0, 0);
        CompletableFuture<ResultEvent> lone = new CompletableFuture<>();
        inFlight.add(new InFlight.Entry(P0, 1, new RequestEvent("lone", null, null, null, "POST", "/v1/chat/completions",
                null, "m", 0), lone));
        lone.complete(ok("lone"));
        assertThat(inFlight.interactiveReady(List.of(P0))).as("behind an unanswered batch request").isFalse();
        batch.complete(ok("batch"));
        assertThat(inFlight.interactiveReady(List.of(P0))).isTrue();
        assertThat(inFlight.interactiveReady(List.of(P1))).isFalse();
        inFlight.takeReady(List.of(P0));
        add(P0, 2).complete(ok("only batch"));
        assertThat(inFlight.interactiveReady(List.of(P0))).isFalse();
    }

    @Test
    void partitionsHaveIndependentBoundaries() {
        add(P0, 0).complete(ok("x"));
        add(P0, 1);
        add(P0, 2).complete(ok("y"));
        add(P1, 0);
        add(P1, 1).complete(ok("z"));
        assertThat(inFlight.unfinished()).isEqualTo(2);
        assertThat(inFlight.queued()).containsEntry(P0, 3).containsEntry(P1, 2);

        Map<TopicPartition, List<InFlight.Entry>> taken = inFlight.takeReady(List.of(P0, P1));
        assertThat(taken).containsOnlyKeys(P0);
        assertThat(InFlight.nextOffset(taken.get(P0))).isEqualTo(1);
        assertThat(inFlight.queued()).containsEntry(P0, 2).containsEntry(P1, 2);
    }

    @Test
    void takesOnlyFromTheGivenPartitions() {
        add(P0, 0).complete(ok("x"));
        add(P1, 0).complete(ok("y"));
        assertThat(inFlight.takeReady(List.of(P1))).containsOnlyKeys(P1);
        assertThat(inFlight.readyCount(List.of(P0, P1))).isEqualTo(1);
    }

    @Test
    void aReplacementAnswerCancelsTheGenerationButAFinishedResultIsKept() {
        CompletableFuture<ResultEvent> running = add(P0, 0);
        CompletableFuture<ResultEvent> finished = add(P0, 1);
        finished.complete(ok("done"));
        List<InFlight.Entry> entries = inFlight.entries();
        ResultEvent cancelled = ResultEvent.failure(request("r"), 499, ErrorInfo.of(ErrorCodes.BATCH_CANCELLED, "x"), 0);

        for (InFlight.Entry e : entries) {
            e.answerInstead(cancelled);
        }
        assertThat(running).isCancelled();
        List<InFlight.Entry> taken = inFlight.takeReady(List.of(P0)).get(P0);
        assertThat(taken.get(0).result().error().code()).isEqualTo(ErrorCodes.BATCH_CANCELLED);
        assertThat(taken.get(1).result().requestId()).isEqualTo("done");
    }

    @Test
    void removingAPartitionReturnsItsEntriesToCancel() {
        CompletableFuture<ResultEvent> a = add(P0, 0);
        add(P1, 0);
        List<InFlight.Entry> removed = inFlight.remove(List.of(P0));
        assertThat(removed).hasSize(1);
        removed.forEach(InFlight.Entry::cancel);
        assertThat(a).isCancelled();
        assertThat(inFlight.size()).isEqualTo(1);
        // After forgetting, the partition may start again from any offset (a seek back).
        add(P0, 0);
        assertThat(inFlight.size()).isEqualTo(2);
    }

    @Test
    void offsetsMustIncreaseWithinAPartition() {
        add(P0, 5);
        assertThatThrownBy(() -> add(P0, 5)).isInstanceOf(IllegalStateException.class).hasMessageContaining("offset 5");
    }

    @Test
    void aRequestTheEngineGaveUpOnIsAnEngineFailure() {
        add(P0, 0).completeExceptionally(new CancellationException("engine closed"));
        InFlight.Entry e = inFlight.takeReady(List.of(P0)).get(P0).get(0);
        assertThatThrownBy(e::result).isInstanceOf(WorkerErrors.EngineFailedException.class).hasMessageContaining("engine closed");
    }
}
