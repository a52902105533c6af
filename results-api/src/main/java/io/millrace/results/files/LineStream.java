package io.millrace.results.files;

import java.io.InputStream;
import java.util.Iterator;

/**
 * The lines of an iterator as one stream, pulled as the reader reads: only the current line is
 * held, so a file of many lines can be written through {@link Chunker} in constant memory.
 * Counts what it gave, for the file event.
 */
final class LineStream extends InputStream {
    private final Iterator<byte[]> lines;
    private byte[] current = new byte[0];
    private int pos;
    private long bytes;
    private long count;

    LineStream(Iterator<byte[]> lines) {
        this.lines = lines;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        while (pos == current.length) {
            if (!lines.hasNext()) {
                return -1;
            }
            current = lines.next();
            pos = 0;
            if (current.length > 0) {
                count++;
            }
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        bytes += n;
        return n;
    }

    long bytes() {
        return bytes;
    }

    /** Non-empty elements handed out: lines, when each element is one line. */
    long lines() {
        return count;
    }
}
