package io.millrace.worker.model;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A token with its log probability under the model (natural log, before temperature and penalties,
 * as OpenAI reports it), and the most likely alternatives at its position.
 *
 * @param bytes the token's UTF-8 bytes (a token may hold part of a character)
 * @param top   the most likely tokens at this position, most likely first; empty when not asked for
 */
public record TokenLogprob(int id, String token, byte[] bytes, double logprob, List<TokenLogprob> top) {
    /** By content: a record compares arrays by identity, and two runs' logprobs should be comparable. */
    @Override
    public boolean equals(Object o) {
        return o instanceof TokenLogprob t && id == t.id && token.equals(t.token) && Arrays.equals(bytes, t.bytes)
                && Double.compare(logprob, t.logprob) == 0 && top.equals(t.top);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, token, Arrays.hashCode(bytes), logprob, top);
    }

    @Override
    public String toString() {
        return "TokenLogprob[id=" + id + ", token=" + token + ", bytes=" + Arrays.toString(bytes) + ", logprob=" + logprob
                + ", top=" + top + "]";
    }
}
