package io.millrace.protocol.events;

/**
 * A lone request its client gave up on, on {@code millrace.cancels}, keyed by request id: the
 * client of a streamed answer disconnected. Workers stop it and answer {@code request_cancelled}
 * (status 499), so it still has exactly one result; one already answered keeps its result.
 *
 * @param cancelledAt epoch milliseconds
 */
public record CancelEvent(String requestId, long cancelledAt) {}
