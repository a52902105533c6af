package io.millrace.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.model.EngineStats;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkerMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final WorkerMetrics metrics = new WorkerMetrics(registry);
    private final FakeEngine engine = new FakeEngine();

    @Test
    void registersVllmStyleMetersPerModel() {
        metrics.model("tiny", engine);
        assertThat(registry.getMeters()).extracting(m -> m.getId().getName() + (m.getId().getTag("outcome") == null ? ""
                : "{" + m.getId().getTag("outcome") + "}")).contains(
                "millrace.worker.request_queue_time", "millrace.worker.time_to_first_token",
                "millrace.worker.time_per_output_token", "millrace.worker.e2e_request_latency",
                "millrace.worker.prompt_tokens", "millrace.worker.generation_tokens",
                "millrace.worker.requests{completed}", "millrace.worker.requests{failed}", "millrace.worker.requests{cancelled}",
                "millrace.worker.num_requests_running", "millrace.worker.num_requests_waiting",
                "millrace.worker.prefix_cache_queries", "millrace.worker.prefix_cache_hits");
        assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("model")).isEqualTo("tiny"));
    }

    @Test
    void gaugesAndCacheCountersReadTheEngine() {
        metrics.model("tiny", engine);
        engine.stats = new EngineStats(3, 5, 100, 40, 64, 48, 4096);
        assertThat(registry.get("millrace.worker.num_requests_running").gauge().value()).isEqualTo(3);
        assertThat(registry.get("millrace.worker.num_requests_waiting").gauge().value()).isEqualTo(5);
        assertThat(registry.get("millrace.worker.prefix_cache_queries").functionCounter().count()).isEqualTo(64);
        assertThat(registry.get("millrace.worker.prefix_cache_hits").functionCounter().count()).isEqualTo(48);
    }

    @Test
    void recordsTimingsTokensAndOutcomes() {
        WorkerMetrics.Model m = metrics.model("tiny", engine);
        m.choice(TimeUnit.MILLISECONDS.toNanos(5), TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.MILLISECONDS.toNanos(90), 10);
        m.request(TimeUnit.MILLISECONDS.toNanos(120), 7, 10);
        assertThat(registry.get("millrace.worker.request_queue_time").timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(5);
        // As vLLM: from arrival at the engine, queue included.
        assertThat(registry.get("millrace.worker.time_to_first_token").timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(25);
        assertThat(registry.get("millrace.worker.time_per_output_token").timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(10);
        assertThat(registry.get("millrace.worker.e2e_request_latency").timer().count()).isEqualTo(1);
        assertThat(registry.get("millrace.worker.prompt_tokens").counter().count()).isEqualTo(7);
        assertThat(registry.get("millrace.worker.generation_tokens").counter().count()).isEqualTo(10);

        RequestEvent r = new RequestEvent("r", "b", "r", null, "POST", "/v1/chat/completions", null, "tiny", 0);
        metrics.committed(new ResultEvent("r", "b", "r", null, "tiny", 200, null, null, true, 0, null));
        metrics.committed(ResultEvent.failure(r, 499, ErrorInfo.of(ErrorCodes.BATCH_CANCELLED, "x"), 0));
        metrics.committed(ResultEvent.failure(r, 500, ErrorInfo.of(ErrorCodes.GENERATION_FAILED, "x"), 0));
        metrics.committed(ResultEvent.failure(r, 400, ErrorInfo.of(ErrorCodes.CONTEXT_LENGTH_EXCEEDED, "x"), 0));
        assertThat(registry.get("millrace.worker.requests").tag("outcome", "completed").counter().count()).isEqualTo(1);
        assertThat(registry.get("millrace.worker.requests").tag("outcome", "cancelled").counter().count()).isEqualTo(1);
        assertThat(registry.get("millrace.worker.requests").tag("outcome", "failed").counter().count()).isEqualTo(2);
    }

    @Test
    void closingRemovesTheMeters() {
        metrics.model("tiny", engine);
        metrics.close();
        assertThat(registry.getMeters()).extracting(Meter::getId).isEmpty();
    }
}
