package io.millrace.protocol.events;

/**
 * Why a request got no completion: a stable machine code (see {@link io.millrace.protocol.ErrorCodes}),
 * a message saying what is wrong and how to fix it, the offending parameter and the input line.
 * Same shape as the entries of an OpenAI batch's {@code errors.data}.
 */
public record ErrorInfo(String code, String message, String param, Long line) {
    public static ErrorInfo of(String code, String message) {
        return new ErrorInfo(code, message, null, null);
    }

    public ErrorInfo atParam(String p) {
        return new ErrorInfo(code, message, p, line);
    }

    public ErrorInfo atLine(Long l) {
        return new ErrorInfo(code, message, param, l);
    }
}
