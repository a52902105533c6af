package io.millrace.eval;

/** A spec, dataset or run directory that cannot be used; the message says where and how to fix it. */
public final class InvalidEval extends RuntimeException {
    public InvalidEval(String message) {
        super(message);
    }
}
