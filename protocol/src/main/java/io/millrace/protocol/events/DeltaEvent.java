package io.millrace.protocol.events;

/**
 * A piece of a streamed completion's text on {@code millrace.stream}, keyed by request id: the
 * worker publishes one per new stable text as it generates, outside its transaction, so a reader
 * sees it at once. A preview, not a result: the committed result on {@code millrace.results} is
 * the answer, and a reader reconciles with it (see ARCHITECTURE "Streaming").
 *
 * @param choice the choice's index (a request with {@code n > 1} streams each)
 * @param seq    0, 1, 2, ... per choice and per attempt: a worker that regenerates the request after
 *               another died starts again at 0, and since generation is seeded the same text comes
 *               again, so a reader skips what it has already passed on
 * @param text   the new text, to append to what came before
 */
public record DeltaEvent(String requestId, int choice, int seq, String text) {}
