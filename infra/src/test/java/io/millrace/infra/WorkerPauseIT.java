package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.WorkerConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backlog whose generation lasts many times {@code max.poll.interval.ms} (lowered to 1 s here)
 * on a batch-size-1 engine: the worker's poll thread keeps polling while the engine works (its
 * partitions paused while the engine is full), so the group never drops it, no transaction is
 * fenced, nothing is generated twice and every request has exactly one committed result.
 *
 * <pre>
 *   requests r0 … r149 ─▶ millrace.gen.millrace-tiny (6 partitions)
 *   worker:  poll ─ pause ─ poll ─ poll ─ … ─ resume ─ poll ─ pause ─ …   (every ~20 ms)
 *   engine:  r0 ▇▇ r1 ▇▇ r2 ▇▇ … r149 ▇▇                                   (≫ 1 s in all)
 *   commits: ──── t1 ──── t2 ──── … (results + offsets, each transaction)
 * </pre>
 */
class WorkerPauseIT {
    private static final int REQUESTS = 150;
    private static final int POLL_INTERVAL_MS = 1_000;

    @TempDir
    Path dir;

    @Test
    void generationLongerThanThePollIntervalLosesNothingAndDuplicatesNothing() throws Exception {
        try (WorkerHarness kafka = WorkerHarness.start(dir)) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            // The batch-size-1 engine: the slowest way through the backlog.
            kafka.startWorker(Map.of("consumer.max.poll.interval.ms", POLL_INTERVAL_MS, WorkerConfig.ENGINE, "sequential"), registry);
            List<RequestEvent> requests = new ArrayList<>();
            Set<String> expected = new TreeSet<>();
            for (int i = 0; i < REQUESTS; i++) {
                requests.add(WorkerHarness.request("pause-" + i, null, "Tell me a long story, number " + i, 200));
                expected.add("pause-" + i);
            }
            long start = System.nanoTime();
            kafka.submit(requests);

            Map<String, List<ResultEvent>> results = kafka.committedResults();
            long deadline = System.currentTimeMillis() + 300_000;
            while (!results.keySet().containsAll(expected)) {
                assertThat(System.currentTimeMillis()).as("every request answered in time; answered: " + results.size())
                        .isLessThan(deadline);
                Thread.sleep(500);
                results = kafka.committedResults();
            }
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

            assertThat(elapsedMs).as("the backlog took several poll intervals to generate, or this test shows nothing")
                    .isGreaterThan(3L * POLL_INTERVAL_MS);
            assertThat(results.keySet()).hasSameElementsAs(expected);
            Map<String, Integer> duplicated = results.entrySet().stream().filter(e -> e.getValue().size() != 1)
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().size()));
            assertThat(duplicated).as("requests with more than one committed result").isEmpty();
            assertThat(results.values()).allSatisfy(r -> assertThat(r.get(0).statusCode()).isEqualTo(200));
            // A worker dropped from the group would have its transaction fenced and generate again.
            assertThat(registry.get("millrace.worker.e2e_request_latency").timer().count())
                    .as("generations: none repeated").isEqualTo(REQUESTS);
            assertThat(registry.get("millrace.worker.requests").tag("outcome", "completed").counter().count())
                    .isEqualTo(REQUESTS);
        }
    }
}
