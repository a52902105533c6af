package io.millrace.results.files;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a stream into chunks of at most a given size, each ending at a line end when the chunk
 * holds one, so most chunks are whole lines that a reader can parse on their own. A line longer
 * than a chunk is cut and continues in the next: concatenating the chunks always gives the stream
 * back byte for byte. Holds one chunk in memory at a time.
 */
final class Chunker {
    interface Sink {
        /** Takes ownership of {@code chunk}. */
        void accept(byte[] chunk) throws IOException;
    }

    private Chunker() {}

    /** @return the number of chunks handed to {@code sink} */
    static int split(InputStream in, int maxChunk, Sink sink) throws IOException {
        byte[] buffer = new byte[maxChunk];
        int fill = 0;
        int chunks = 0;
        while (true) {
            int n = in.read(buffer, fill, buffer.length - fill);
            if (n > 0) {
                fill += n;
            }
            boolean eof = n < 0;
            if (eof || fill == buffer.length) {
                if (fill == 0) {
                    return chunks;
                }
                int cut = eof ? fill : lastLineEnd(buffer, fill);
                sink.accept(Arrays.copyOf(buffer, cut));
                chunks++;
                System.arraycopy(buffer, cut, buffer, 0, fill - cut);
                fill -= cut;
                if (eof && fill == 0) {
                    return chunks;
                }
            }
        }
    }

    /** Just after the last {@code \n} or {@code \r}, or the whole buffer when it holds none. */
    private static int lastLineEnd(byte[] buffer, int fill) {
        for (int i = fill - 1; i >= 0; i--) {
            if (buffer[i] == '\n' || buffer[i] == '\r') {
                return i + 1;
            }
        }
        return fill;
    }
}
