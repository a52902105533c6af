package io.millrace.worker;

import io.millrace.protocol.events.DeltaEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * A model this worker serves without a local engine (a remote provider, see infra's {@code remote}
 * role): how a request is answered and how loaded the model is. Plain JDK and protocol types only,
 * so whoever implements it (another module) never imports this stage; infra assembles the two.
 *
 * @param answer    answers one request; it may publish the text of a streamed request with the
 *                  delta sink it is given (outside the transaction, as local engines do)
 * @param running   requests being answered now (the heartbeat's {@code running})
 * @param waiting   requests queued for the model, not yet started (the heartbeat's {@code waiting})
 * @param resources closed when the worker stops
 */
public record ExternalModel(Answer answer, IntSupplier running, IntSupplier waiting, AutoCloseable resources) {
    /** One request to one result; the future completes normally for every outcome of the request itself. */
    @FunctionalInterface
    public interface Answer {
        CompletableFuture<ResultEvent> answer(RequestEvent request, Consumer<DeltaEvent> deltas);
    }
}
