package io.millrace.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.worker.model.CompletionEngine;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The worker's meters, named after vLLM's ({@value #PREFIX} prefix, a {@code model} tag; a
 * Prometheus registry renders {@code millrace.worker.time_to_first_token} as
 * {@code millrace_worker_time_to_first_token_seconds}, as vLLM's
 * {@code vllm:time_to_first_token_seconds}). As in vLLM, a request's latencies are measured from its
 * arrival at the engine (the worker's submit), not from its entry into the pipeline: that is what
 * the result event's {@code timings} report.
 *
 * <ul>
 *   <li>{@code request_queue_time}: engine submit → the engine starts the sequence (per choice)
 *   <li>{@code time_to_first_token}: engine submit → first token (per choice)
 *   <li>{@code time_per_output_token}: mean gap between a choice's tokens after the first
 *   <li>{@code e2e_request_latency}: engine submit → every choice finished (per request)
 *   <li>{@code prompt_tokens}, {@code generation_tokens}: tokens of finished requests, as in usage
 *   <li>{@code requests{outcome=completed|failed|cancelled}}: results committed
 *   <li>{@code num_requests_running} (the running batch's size), {@code num_requests_waiting},
 *       {@code prefix_cache_bytes}, {@code prefix_cache_queries}, {@code prefix_cache_hits}: read
 *       from the engine's {@link io.millrace.worker.model.EngineStats}
 * </ul>
 */
public final class WorkerMetrics implements AutoCloseable {
    public static final String PREFIX = "millrace.worker.";

    private final MeterRegistry registry;
    private final Set<Meter> meters = ConcurrentHashMap.newKeySet();

    public WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers the meters of one served model, reading the engine's counters on each scrape. */
    Model model(String name, CompletionEngine engine) {
        gauge("num_requests_running", "requests in the engine's running batch", name, engine, e -> e.stats().running());
        gauge("num_requests_waiting", "requests queued in the engine, not yet running", name, engine, e -> e.stats().waiting());
        gauge("prefix_cache_bytes", "memory held by the engine's prefix cache", name, engine, e -> e.stats().prefixCacheBytes());
        functionCounter("prefix_cache_queries", "prompt tokens looked up in the prefix cache", name, engine,
                e -> e.stats().prefixCacheQueries());
        functionCounter("prefix_cache_hits", "prompt tokens whose KV was reused from the prefix cache", name, engine,
                e -> e.stats().prefixCacheHits());
        for (String outcome : new String[] {"completed", "failed", "cancelled"}) {
            requests(name, outcome);
        }
        return new Model(name);
    }

    /** Counts a result that was committed, by its outcome. */
    void committed(ResultEvent r) {
        requests(r.model() == null ? "none" : r.model(), outcome(r)).increment();
    }

    /** A failed generation sent to a retry tier, or, its tiers spent, to the dead-letter topic. */
    void retried(String model, boolean deadLettered) {
        keep(Counter.builder(PREFIX + "generation_retries").description("failed generations sent to a retry or dead-letter topic")
                .tag("model", model).tag("to", deadLettered ? "dead_letter" : "retry").register(registry)).increment();
    }

    static String outcome(ResultEvent r) {
        if (r.succeeded()) {
            return "completed";
        }
        return ErrorCodes.BATCH_CANCELLED.equals(r.error().code()) ? "cancelled" : "failed";
    }

    private Counter requests(String model, String outcome) {
        return keep(Counter.builder(PREFIX + "requests").description("requests answered, by outcome")
                .tag("model", model).tag("outcome", outcome).register(registry));
    }

    private void gauge(String name, String description, String model, CompletionEngine engine,
            java.util.function.ToDoubleFunction<CompletionEngine> value) {
        keep(Gauge.builder(PREFIX + name, engine, value).description(description).tag("model", model)
                .strongReference(true).register(registry));
    }

    private void functionCounter(String name, String description, String model, CompletionEngine engine,
            java.util.function.ToDoubleFunction<CompletionEngine> value) {
        keep(FunctionCounter.builder(PREFIX + name, engine, value).description(description).tag("model", model)
                .register(registry));
    }

    private <M extends Meter> M keep(M meter) {
        meters.add(meter);
        return meter;
    }

    /** Removes this worker's meters, so a stopped worker reports nothing rather than a closed engine's numbers. */
    @Override
    public void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }

    /** The per-request meters of one model. Thread-safe: engine threads record into it. */
    final class Model {
        private final Timer queueTime;
        private final Timer firstToken;
        private final Timer perOutputToken;
        private final Timer endToEnd;
        private final Counter promptTokens;
        private final Counter generationTokens;

        private Model(String name) {
            queueTime = timer("request_queue_time", "engine submit until the engine starts the sequence", name);
            firstToken = timer("time_to_first_token", "engine submit until the first output token", name);
            perOutputToken = timer("time_per_output_token", "mean time between output tokens after the first", name);
            endToEnd = timer("e2e_request_latency", "engine submit until every choice of the request finished", name);
            promptTokens = keep(Counter.builder(PREFIX + "prompt_tokens").description("prompt tokens of finished requests")
                    .baseUnit("tokens").tag("model", name).register(registry));
            generationTokens = keep(Counter.builder(PREFIX + "generation_tokens")
                    .description("completion tokens of finished requests").baseUnit("tokens").tag("model", name)
                    .register(registry));
        }

        private Timer timer(String name, String description, String model) {
            return keep(Timer.builder(PREFIX + name).description(description).tag("model", model).register(registry));
        }

        /**
         * One choice (sequence) finished.
         *
         * @param queueNanos      engine submit → engine start
         * @param firstTokenNanos engine start → first token (the completion's own measure)
         * @param decodeNanos     first token → last token
         */
        void choice(long queueNanos, long firstTokenNanos, long decodeNanos, int completionTokens) {
            queueTime.record(queueNanos, TimeUnit.NANOSECONDS);
            if (completionTokens > 0) {
                firstToken.record(queueNanos + firstTokenNanos, TimeUnit.NANOSECONDS);
            }
            if (completionTokens > 1) {
                perOutputToken.record(decodeNanos / (completionTokens - 1), TimeUnit.NANOSECONDS);
            }
        }

        /** Every choice of a request finished; token counts as in the response's usage. */
        void request(long endToEndNanos, int prompt, int completion) {
            endToEnd.record(endToEndNanos, TimeUnit.NANOSECONDS);
            promptTokens.increment(prompt);
            generationTokens.increment(completion);
        }
    }
}
