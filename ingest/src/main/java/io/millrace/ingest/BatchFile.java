package io.millrace.ingest;

import io.millrace.protocol.Ids;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.io.InputStreamReader;

/**
 * An OpenAI batch input file on disk, read as a stream: never held in memory whole, so files of
 * any size work. Blank lines are skipped (a trailing newline is not a request).
 */
public final class BatchFile {
    /** One non-blank line and its 1-based number in the file. */
    public interface LineConsumer {
        void accept(long line, String text) throws IOException;
    }

    /** What a first pass over the file learns: its content hash (the default batch id) and its size. */
    public record Summary(String defaultBatchId, long requests) {}

    private final Path path;

    public BatchFile(Path path) {
        this.path = path;
    }

    public Path path() {
        return path;
    }

    /** Reads the file once for its hash and count of non-blank lines. */
    public Summary summarize() throws IOException {
        MessageDigest digest = Ids.sha256();
        long[] count = {0};
        try (InputStream in = new DigestInputStream(Files.newInputStream(path), digest)) {
            forEachLine(in, (line, text) -> count[0]++);
        }
        return new Summary(Ids.batchIdForDigest(digest.digest()), count[0]);
    }

    /** Streams the non-blank lines in order. */
    public void forEachLine(LineConsumer consumer) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            forEachLine(in, consumer);
        }
    }

    private static void forEachLine(InputStream in, LineConsumer consumer) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16);
        long number = 0;
        for (String text = reader.readLine(); text != null; text = reader.readLine()) {
            number++;
            if (!text.isBlank()) {
                consumer.accept(number, text);
            }
        }
    }
}
