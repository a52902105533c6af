package io.millrace.results.webhooks;

/** A webhooks request refused: the status, OpenAI's error code, what to fix, and the parameter at fault. */
public final class WebhooksException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String code;
    private final String param;

    public WebhooksException(int status, String code, String message, String param) {
        super(message);
        this.status = status;
        this.code = code;
        this.param = param;
    }

    static WebhooksException notFound(String id) {
        return new WebhooksException(404, "webhook_not_found", "No webhook endpoint with id '" + id + "'.", null);
    }

    static WebhooksException invalid(String message, String param) {
        return new WebhooksException(400, "invalid_request", message, param);
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
