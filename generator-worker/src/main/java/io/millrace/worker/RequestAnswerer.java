package io.millrace.worker;

import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.concurrent.CompletableFuture;

/**
 * What the {@link GenerationWorker} loop hands each routed request to: local engines
 * ({@link CompletionHandler}) or models served elsewhere ({@link ExternalModel}). The loop owns the
 * commit boundary, lanes, retries and cancellations; an answerer only answers.
 *
 * <p>The future completes normally for every outcome of the request itself, errors included, so one
 * request never blocks its partition; cancelling it stops the work.
 */
interface RequestAnswerer {
    CompletableFuture<ResultEvent> submit(RequestEvent request);
}
