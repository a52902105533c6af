package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cancelling a batch mid-way: the worker learns of it from {@code millrace.batches} and answers
 * the batch's queued and running requests {@code batch_cancelled} without generating them, keeps
 * the results already finished, and leaves other requests alone. Every request still has exactly
 * one committed result.
 *
 * <pre>
 *   batch "doomed": d0 … d119, interleaved with "kept": k0 … k5
 *   worker: d0 ▇ d1 ▇ d2 ▇ …   ◀── BatchEvent(doomed, cancelled_at) after 3 results
 *           … dn ✗ … d119 ✗ (batch_cancelled)   k0 … k5 ▇ (generated)
 * </pre>
 */
class BatchCancelIT {
    private static final int DOOMED = 120;
    private static final int KEPT = 6;

    @TempDir
    Path dir;

    @Test
    void aCancelledBatchsRemainingRequestsAreAnsweredBatchCancelledExactlyOnce() throws Exception {
        try (WorkerHarness kafka = WorkerHarness.start(dir)) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            kafka.startWorker(Map.of(), registry);
            BatchEvent doomed = new BatchEvent("doomed", "/v1/chat/completions", "doomed.jsonl", DOOMED,
                    System.currentTimeMillis(), Map.of(), null);
            kafka.publish(doomed);

            List<RequestEvent> requests = new ArrayList<>();
            Set<String> expected = new TreeSet<>();
            for (int i = 0; i < DOOMED; i++) {
                requests.add(WorkerHarness.request("doomed:" + i, "doomed", "Doomed question " + i, 128));
                expected.add("doomed:" + i);
                if (i % (DOOMED / KEPT) == 0) {
                    String id = "kept:" + (i / (DOOMED / KEPT));
                    requests.add(WorkerHarness.request(id, "kept", "Kept question " + i, 128));
                    expected.add(id);
                }
            }
            kafka.submit(requests);

            long deadline = System.currentTimeMillis() + 300_000;
            Map<String, List<ResultEvent>> results = kafka.committedResults();
            while (results.keySet().stream().filter(id -> id.startsWith("doomed:")).count() < 3) {
                assertThat(System.currentTimeMillis()).as("first results of the batch").isLessThan(deadline);
                Thread.sleep(100);
                results = kafka.committedResults();
            }
            kafka.publish(doomed.cancel(System.currentTimeMillis()));
            while (!results.keySet().containsAll(expected)) {
                assertThat(System.currentTimeMillis()).as("every request answered; answered: " + results.size())
                        .isLessThan(deadline);
                Thread.sleep(200);
                results = kafka.committedResults();
            }

            assertThat(results.keySet()).hasSameElementsAs(expected);
            Map<String, Integer> duplicated = results.entrySet().stream().filter(e -> e.getValue().size() != 1)
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().size()));
            assertThat(duplicated).as("requests with more than one committed result").isEmpty();

            List<ResultEvent> doomedResults = results.entrySet().stream().filter(e -> e.getKey().startsWith("doomed:"))
                    .map(e -> e.getValue().get(0)).toList();
            List<ResultEvent> cancelled = doomedResults.stream().filter(r -> !r.succeeded()).toList();
            assertThat(cancelled).allSatisfy(r -> {
                assertThat(r.error().code()).isEqualTo(ErrorCodes.BATCH_CANCELLED);
                assertThat(r.statusCode()).isEqualTo(499);
                assertThat(r.generated()).isFalse();
            });
            assertThat(cancelled).as("the rest of the batch, cancelled").isNotEmpty();
            assertThat(doomedResults.size() - cancelled.size()).as("finished results are kept").isGreaterThanOrEqualTo(3);
            assertThat(registry.get("millrace.worker.e2e_request_latency").timer().count())
                    .as("requests generated to the end: not all of them").isLessThan(DOOMED + KEPT);
            assertThat(results.entrySet().stream().filter(e -> e.getKey().startsWith("kept:")))
                    .as("another batch is not touched").allSatisfy(e -> assertThat(e.getValue().get(0).statusCode()).isEqualTo(200));
            assertThat(registry.get("millrace.worker.requests").tag("outcome", "cancelled").counter().count())
                    .isEqualTo(cancelled.size());
        }
    }
}
