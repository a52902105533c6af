package io.millrace.worker;

import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.events.DeltaEvent;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** Hands each request to the {@link ExternalModel} it was routed to; a model not served here is answered 404. */
final class ExternalAnswerer implements RequestAnswerer {
    private final Map<String, ExternalModel> models;
    private final Consumer<DeltaEvent> deltas;
    private final Clock clock;

    ExternalAnswerer(Map<String, ExternalModel> models, Consumer<DeltaEvent> deltas, Clock clock) {
        this.models = Map.copyOf(models);
        this.deltas = deltas;
        this.clock = clock;
    }

    @Override
    public CompletableFuture<ResultEvent> submit(RequestEvent request) {
        String name = request.model() != null ? request.model() : request.requestedModel();
        ExternalModel model = name == null ? null : models.get(name);
        if (model == null) {
            return CompletableFuture.completedFuture(ResultEvent.failure(request, 404, ErrorInfo.of(ErrorCodes.MODEL_NOT_FOUND,
                    "model '" + name + "' is not served by this remote worker (it serves " + models.keySet() + ")")
                    .atParam("model"), clock.millis()));
        }
        try {
            return model.answer().answer(request, deltas);
        } catch (RuntimeException e) {
            // A bug in the answerer must cost this request an answer, never the partition.
            return CompletableFuture.completedFuture(ResultEvent.failure(request, 500, ErrorInfo.of(ErrorCodes.INTERNAL_ERROR,
                    "the remote model could not take the request: " + e), clock.millis()));
        }
    }
}
