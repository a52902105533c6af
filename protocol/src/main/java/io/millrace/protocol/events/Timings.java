package io.millrace.protocol.events;

/**
 * Where a request's time went, in milliseconds; null fields were not measured.
 *
 * @param queueMs      from submission until generation started
 * @param firstTokenMs from generation start until the first output token
 * @param generationMs from generation start until the last token
 * @param endToEndMs   from submission until the result was ready
 */
public record Timings(Long queueMs, Long firstTokenMs, Long generationMs, Long endToEndMs) {}
