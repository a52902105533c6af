package io.millrace.results;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.Ids;
import io.millrace.protocol.Json;
import io.millrace.protocol.events.DeltaEvent;
import io.millrace.protocol.events.RequestEvent;
import io.millrace.protocol.events.ResultEvent;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/chat/completions} with {@code "stream": true}: server-sent
 * {@code chat.completion.chunk} events as the worker generates, then {@code data: [DONE]}. The
 * legacy {@code POST /v1/completions} streams the same way in its own shape: {@code text_completion}
 * chunks with {@code choices[].text}, one choice per prompt, no role chunk (as OpenAI and vLLM
 * stream it); with {@code echo} the prompt is its choice's first text.
 *
 * <p>The request takes the same path as any other; the worker publishes its text deltas to
 * {@code millrace.stream} outside its transaction ({@link DeltaFollower} brings them here) and
 * commits the result as always. The stream is reconciled with that result: deltas are passed on in
 * order (each choice's {@code seq}); one already passed on is skipped (a worker that took over after
 * another died starts again at 0, and its seeded generation repeats the same text); once one is
 * missing, that choice waits for the result. The result then supplies whatever text the deltas did
 * not, the finish reasons and the usage. So the client's concatenated text is exactly the committed
 * completion, whatever happened to the deltas.
 *
 * <p>The handler holds its server thread while it streams (a blocking loop over a queue fed by the
 * followers): simple, and bounded by Jetty's pool; streaming is for interactive use, and bulk work
 * goes through batches.
 */
final class ChatStream {
    private static final Logger log = LoggerFactory.getLogger(ChatStream.class);
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ChatCompletions chat;
    private final DeltaFollower deltas;
    private final Duration timeout;
    private final Clock clock;

    ChatStream(ChatCompletions chat, DeltaFollower deltas, Duration timeout, Clock clock) {
        this.chat = chat;
        this.deltas = deltas;
        this.timeout = timeout;
        this.clock = clock;
    }

    /**
     * Streams the answer to {@code res}, or returns the JSON answer when there is nothing to stream
     * (a refused body, a publish that failed): then nothing was written yet.
     *
     * @param url the endpoint, {@link ChatRequestValidator#CHAT_COMPLETIONS} or {@link ChatRequestValidator#COMPLETIONS}
     */
    ChatCompletions.Reply handle(ChatCompletions.Body body, String idempotencyKey, String tenant, String url,
            HttpServletResponse res) throws IOException, InterruptedException {
        ChatCompletions.Prepared prepared = chat.prepare(body, idempotencyKey, tenant, url);
        if (prepared instanceof ChatCompletions.Prepared.Refused refused) {
            return refused.reply();
        }
        RequestEvent request = ((ChatCompletions.Prepared.Ready) prepared).request();
        String id = request.requestId();
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        deltas.listen(id, events::add);
        CompletableFuture<ResultEvent> result = null;
        try {
            ResultEvent stored = ((ChatCompletions.Prepared.Ready) prepared).idempotent() ? chat.stored(request).orElse(null) : null;
            if (stored != null) {
                events.add(stored);
            } else {
                result = chat.submit(request);
                result.whenComplete((r, e) -> events.add(e != null ? e : r));
            }
            res.setStatus(200);
            res.setContentType("text/event-stream");
            res.setCharacterEncoding("UTF-8");
            res.setHeader("Cache-Control", "no-cache");
            res.setHeader("x-request-id", id);
            try {
                stream(request, events, res.getOutputStream());
            } catch (IOException e) {
                // The client went away mid-stream: nobody reads the rest, so stop generating it.
                // (The request still gets its one result, request_cancelled or the completion.)
                if (result != null && !result.isDone()) {
                    log.info("client of streamed request {} disconnected: cancelling it", id);
                    chat.cancel(request);
                }
            }
            return null;
        } finally {
            deltas.forget(id);
            if (result != null) {
                result.cancel(false); // no longer waited for here; the request itself goes on
            }
        }
    }

    private void stream(RequestEvent request, BlockingQueue<Object> events, OutputStream out)
            throws IOException, InterruptedException {
        JsonNode body = request.body();
        boolean legacy = ChatRequestValidator.COMPLETIONS.equals(request.url());
        int n = legacy ? prompts(body.path("prompt")) : Math.max(1, body.path("n").asInt(1));
        boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
        Chunks chunks = new Chunks(legacy ? Ids.textCompletionId(request.requestId()) : Ids.completionId(request.requestId()),
                clock.millis() / 1000, body.path("model").asText(), includeUsage, legacy);
        StringBuilder[] sent = new StringBuilder[n];
        int[] lastSeq = new int[n];
        boolean[] gap = new boolean[n];
        for (int i = 0; i < n; i++) {
            sent[i] = new StringBuilder();
            lastSeq[i] = -1;
            if (!legacy) {
                write(out, chunks.role(i));
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Object e = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (e == null) {
                write(out, ApiError.timeout(timeout, request.requestId()).body());
                break;
            }
            if (e instanceof DeltaEvent d) {
                int c = d.choice();
                if (c < 0 || c >= n || gap[c] || d.seq() <= lastSeq[c]) {
                    continue; // another choice's stray, a repeat after a takeover, or after a gap
                }
                if (d.seq() != lastSeq[c] + 1) {
                    gap[c] = true; // a delta went missing: the result fills in from here
                    continue;
                }
                lastSeq[c] = d.seq();
                sent[c].append(d.text());
                write(out, chunks.content(c, d.text()));
            } else if (e instanceof ResultEvent r) {
                finish(r, chunks, sent, out);
                break;
            } else {
                Throwable t = e instanceof Throwable th && th.getCause() != null ? th.getCause() : (Throwable) e;
                log.warn("streamed request {} failed before its result: {}", request.requestId(), t.toString());
                write(out, (t instanceof NotReadyException ? ApiError.notReady() : ApiError.internal()).body());
                break;
            }
        }
        out.write(DONE);
        out.flush();
    }

    /** The rest of each choice's text from the result, the finish reasons, the usage. */
    private static void finish(ResultEvent r, Chunks chunks, StringBuilder[] sent, OutputStream out) throws IOException {
        if (!r.succeeded()) {
            write(out, ChatCompletions.answer(r).body()); // {"error": {...}}, as OpenAI streams a failure
            return;
        }
        for (JsonNode choice : r.body().path("choices")) {
            int c = choice.path("index").asInt();
            String text = (chunks.legacy ? choice.path("text") : choice.path("message").path("content")).asText("");
            if (c >= 0 && c < sent.length) {
                String already = sent[c].toString();
                if (text.startsWith(already)) {
                    if (text.length() > already.length()) {
                        write(out, chunks.content(c, text.substring(already.length())));
                    }
                } else {
                    // Cannot happen with seeded generation; if it does, say so rather than hide it.
                    log.warn("the streamed text of {} choice {} is not a prefix of its committed result", r.requestId(), c);
                }
            }
            write(out, chunks.finish(c, choice.path("finish_reason").asText("stop")));
        }
        if (chunks.includeUsage) {
            write(out, chunks.usage(r.body().path("usage")));
        }
    }

    private static void write(OutputStream out, JsonNode event) throws IOException {
        out.write("data: ".getBytes(StandardCharsets.US_ASCII));
        out.write(Json.writeBytes(event));
        out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** How many choices a legacy body answers: one per prompt (a string or a list of token ids is one prompt). */
    static int prompts(JsonNode prompt) {
        boolean list = prompt.isArray() && !prompt.isEmpty() && (prompt.get(0).isTextual() || prompt.get(0).isArray());
        return list ? prompt.size() : 1;
    }

    /** OpenAI's {@code chat.completion.chunk} objects of one completion, or legacy {@code text_completion} ones. */
    private record Chunks(String id, long created, String model, boolean includeUsage, boolean legacy) {
        ObjectNode role(int choice) {
            ObjectNode delta = Json.object();
            delta.put("role", "assistant");
            delta.put("content", "");
            return chunk(choice, delta, null);
        }

        ObjectNode content(int choice, String text) {
            if (legacy) {
                return text(choice, text, null);
            }
            ObjectNode delta = Json.object();
            delta.put("content", text);
            return chunk(choice, delta, null);
        }

        ObjectNode finish(int choice, String reason) {
            if (legacy) {
                return text(choice, "", reason);
            }
            return chunk(choice, Json.object(), reason);
        }

        ObjectNode usage(JsonNode usage) {
            ObjectNode c = base();
            c.putArray("choices");
            c.set("usage", usage);
            return c;
        }

        private ObjectNode chunk(int choice, ObjectNode delta, String finishReason) {
            ObjectNode c = base();
            ArrayNode choices = c.putArray("choices");
            ObjectNode ch = choices.addObject();
            ch.put("index", choice);
            ch.set("delta", delta);
            ch.putNull("logprobs");
            ch.put("finish_reason", finishReason);
            if (includeUsage) {
                c.putNull("usage");
            }
            return c;
        }

        /** A legacy chunk: {@code choices[0]} = {index, text, logprobs, finish_reason}. */
        private ObjectNode text(int choice, String text, String finishReason) {
            ObjectNode c = base();
            ObjectNode ch = c.putArray("choices").addObject();
            ch.put("index", choice);
            ch.put("text", text);
            ch.putNull("logprobs");
            ch.put("finish_reason", finishReason);
            if (includeUsage) {
                c.putNull("usage");
            }
            return c;
        }

        private ObjectNode base() {
            ObjectNode c = Json.object();
            c.put("id", id);
            c.put("object", legacy ? "text_completion" : "chat.completion.chunk");
            c.put("created", created);
            c.put("model", model);
            return c;
        }
    }
}
