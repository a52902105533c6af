package io.millrace.results.files;

/**
 * A Files API request the client must change, answered as an OpenAI error
 * ({@code invalid_request_error}) with this status, code and param.
 */
public final class FilesException extends RuntimeException {
    private final int status;
    private final String code;
    private final String param;

    FilesException(int status, String code, String param, String message) {
        super(message, null, false, false); // an answer, not a fault: no stack trace
        this.status = status;
        this.code = code;
        this.param = param;
    }

    static FilesException notFound(String id) {
        return new FilesException(404, "not_found", null, "No file found with id '" + id + "'.");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }
}
