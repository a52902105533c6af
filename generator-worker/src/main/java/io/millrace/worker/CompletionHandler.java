package io.millrace.worker;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.events.Timings;
import io.millrace.worker.model.Completion;
import io.millrace.worker.model.DecoderModel;
import java.time.Clock;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers one routed request with one result: a {@code chat.completion}, or an error result that
 * says why not. Never throws for a bad request, so one request cannot block its partition.
 */
public final class CompletionHandler {
    private static final Logger log = LoggerFactory.getLogger(CompletionHandler.class);

    private final Map<String, DecoderModel> models;
    private final Clock clock;

    public CompletionHandler(Map<String, DecoderModel> models, Clock clock) {
        this.models = Map.copyOf(models);
        this.clock = clock;
    }

    public ResultEvent handle(RequestEvent request) {
        String modelName = request.model() != null ? request.model() : request.requestedModel();
        DecoderModel model = modelName == null ? null : models.get(modelName);
        if (model == null) {
            return ResultEvent.failure(request, 404, ErrorInfo.of(ErrorCodes.MODEL_NOT_FOUND, "model '" + modelName
                    + "' is not loaded by this worker (it serves " + models.keySet() + ")").atParam("model"), clock.millis());
        }
        long start = clock.millis();
        try {
            ChatRequest chat = ChatRequest.from(request.body());
            int[] prompt = model.encodeChat(chat.messages());
            if (prompt.length >= model.contextLength()) {
                return ResultEvent.failure(request, 400, ErrorInfo.of(ErrorCodes.CONTEXT_LENGTH_EXCEEDED, "the messages are "
                        + prompt.length + " tokens but model '" + modelName + "' has a context of " + model.contextLength()
                        + " tokens: shorten the messages").atParam("messages"), clock.millis());
            }
            ObjectNode body = Json.object();
            body.put("id", Ids.completionId(request.requestId()));
            body.put("object", "chat.completion");
            body.put("created", start / 1000);
            body.put("model", modelName);
            body.put("system_fingerprint", "millrace-" + model.executionProvider().toLowerCase());
            ArrayNode choices = body.putArray("choices");
            int completionTokens = 0;
            long firstTokenMs = -1;
            for (int i = 0; i < chat.n(); i++) {
                Completion c = model.generate(prompt, chat.sampling(i, prompt.length, model.contextLength()));
                completionTokens += c.completionTokens();
                if (firstTokenMs < 0) {
                    firstTokenMs = c.firstTokenNanos() / 1_000_000;
                }
                ObjectNode choice = choices.addObject();
                choice.put("index", i);
                ObjectNode message = choice.putObject("message");
                message.put("role", "assistant");
                message.put("content", c.text());
                message.putNull("refusal");
                choice.putNull("logprobs");
                choice.put("finish_reason", c.finishReason());
            }
            ObjectNode usage = body.putObject("usage");
            usage.put("prompt_tokens", prompt.length);
            usage.put("completion_tokens", completionTokens);
            usage.put("total_tokens", prompt.length + completionTokens);
            long end = clock.millis();
            Timings timings = new Timings(Math.max(0, start - request.submittedAt()), Math.max(0, firstTokenMs),
                    end - start, Math.max(0, end - request.submittedAt()));
            return new ResultEvent(request.requestId(), request.batchId(), request.customId(), request.line(), modelName,
                    200, body, null, true, end, timings);
        } catch (RuntimeException e) {
            // A request the model cannot run (bad template input, an inference error) gets an error
            // result; the partition moves on.
            log.warn("request {} failed in generation: {}", request.requestId(), e.toString());
            return ResultEvent.failure(request, 500, ErrorInfo.of(ErrorCodes.GENERATION_FAILED,
                    "generation failed: " + e.getMessage()), clock.millis());
        }
    }
}
