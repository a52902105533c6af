package io.millrace.ingest;

import io.millrace.protocol.Ids;
import io.millrace.protocol.InputLimits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;

/**
 * An OpenAI batch input file on disk, read as a stream: never held in memory whole, so files of
 * any size work. Blank lines are skipped (a trailing newline is not a request).
 *
 * <p>Lines are handed over as bytes, not text: decoding is the parser's job, so that a line that
 * is not UTF-8 is answered as that line's error instead of being silently altered (a lenient
 * decoder turns bad bytes into U+FFFD) or failing the file. A line longer than
 * {@link InputLimits#MAX_LINE_BYTES} is counted but not kept, so one huge line cannot exhaust
 * memory. Lines end at {@code \n}, {@code \r} or {@code \r\n}, as {@link java.io.BufferedReader#readLine}.
 */
public final class BatchFile {
    /** One non-blank line as found in the file. */
    public interface LineConsumer {
        void accept(Line line) throws IOException;
    }

    /**
     * @param number  1-based line number in the file
     * @param length  the line's length in bytes, without its line end
     * @param content the line's bytes, or null when {@code length} is over {@link InputLimits#MAX_LINE_BYTES}
     */
    public record Line(long number, long length, byte[] content) {}

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
            forEachLine(in, line -> count[0]++);
        }
        return new Summary(Ids.batchIdForDigest(digest.digest()), count[0]);
    }

    /** Streams the non-blank lines in order. */
    public void forEachLine(LineConsumer consumer) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            forEachLine(in, consumer);
        }
    }

    public static void forEachLine(InputStream in, LineConsumer consumer) throws IOException {
        new Splitter(consumer).feed(in);
    }

    /** Splits a byte stream into lines, keeping at most the limit of each. */
    private static final class Splitter {
        private final LineConsumer consumer;
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private long number;
        private long length;
        private boolean blank = true;
        private boolean afterCr;

        Splitter(LineConsumer consumer) {
            this.consumer = consumer;
        }

        void feed(InputStream in) throws IOException {
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                int start = 0;
                for (int i = 0; i < n; i++) {
                    byte b = buffer[i];
                    if (b == '\n' && afterCr) {
                        // The \n of a \r\n: the line already ended at the \r.
                        afterCr = false;
                        start = i + 1;
                        continue;
                    }
                    afterCr = false;
                    if (b == '\n' || b == '\r') {
                        append(buffer, start, i);
                        end();
                        afterCr = b == '\r';
                        start = i + 1;
                    } else if (blank && !(b == ' ' || b == '\t' || b == 0x0B || b == 0x0C)) {
                        blank = false;
                    }
                }
                append(buffer, start, n);
            }
            if (length > 0) {
                end();
            }
        }

        private void append(byte[] buffer, int from, int to) {
            int n = to - from;
            if (n <= 0) {
                return;
            }
            if (length + n <= InputLimits.MAX_LINE_BYTES) {
                kept.write(buffer, from, n);
            } else {
                // Over the limit: the line is answered by its length alone, so nothing more is kept.
                kept.reset();
            }
            length += n;
        }

        private void end() throws IOException {
            number++;
            if (!blank) {
                consumer.accept(new Line(number, length, length <= InputLimits.MAX_LINE_BYTES ? kept.toByteArray() : null));
            }
            kept.reset();
            length = 0;
            blank = true;
        }
    }
}
