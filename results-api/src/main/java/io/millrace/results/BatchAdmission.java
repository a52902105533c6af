package io.millrace.results;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;

/**
 * A check of a batch being created that needs its input file's lines, run by {@code POST /v1/batches}
 * before the batch exists, so that a batch that could only fail is refused with the reason instead
 * of created and failed a moment later. The deployment assembles it (infra: budget routing's plan,
 * which is ingest's); this stage only calls it.
 */
@FunctionalInterface
public interface BatchAdmission {
    /** Admits every batch: nothing is checked at creation beyond the body. */
    BatchAdmission NONE = (content, endpoint, metadata) -> Optional.empty();

    /**
     * @param content  opens the input file's content; a check that does not need the lines should not open it
     * @param metadata the batch's metadata, or null
     * @return empty to create the batch; else why not
     * @throws IOException when the content cannot be read (the API answers 500: nothing is created)
     */
    Optional<Refusal> check(Content content, String endpoint, Map<String, String> metadata) throws IOException;

    /** The input file's content, read only when a check needs it. */
    @FunctionalInterface
    interface Content {
        InputStream open() throws IOException;
    }

    /** A 400 {@code invalid_request_error} with this code, param and message (what to change). */
    record Refusal(String code, String param, String message) {}
}
