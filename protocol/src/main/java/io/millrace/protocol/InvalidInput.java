package io.millrace.protocol;

/**
 * Why untrusted bytes or text did not parse as the JSON expected, in words for the client who sent
 * them: an error code ({@link ErrorCodes#INVALID_JSON}, or {@link ErrorCodes#REQUEST_TOO_LARGE} for a
 * parser limit of {@link InputLimits}), the problem and where the parser stopped. Every part is
 * always present, whatever the parser threw: one bad input must cost exactly one error answer.
 */
public final class InvalidInput extends Exception {
    private final String code;
    private final String problem;
    private final int lineNr;
    private final int columnNr;

    InvalidInput(String code, String problem, int lineNr, int columnNr, Throwable cause) {
        super(problem, cause, false, false);
        this.code = code;
        this.problem = problem;
        this.lineNr = lineNr;
        this.columnNr = columnNr;
    }

    /** {@link ErrorCodes#INVALID_JSON} or {@link ErrorCodes#REQUEST_TOO_LARGE}. */
    public String code() {
        return code;
    }

    /** What is wrong, never null nor blank; no position in it. */
    public String problem() {
        return problem;
    }

    /** 1-based line where the parser stopped, or -1 when it cannot tell. */
    public int lineNr() {
        return lineNr;
    }

    /** 1-based column where the parser stopped, or -1 when it cannot tell. */
    public int columnNr() {
        return columnNr;
    }
}
