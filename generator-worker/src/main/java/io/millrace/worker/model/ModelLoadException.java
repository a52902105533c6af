package io.millrace.worker.model;

/**
 * A model directory cannot be served: a file or field is missing or incompatible. The message names
 * the file or field and how to fix it, because it is what an operator sees when a worker refuses
 * to start.
 */
public class ModelLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
