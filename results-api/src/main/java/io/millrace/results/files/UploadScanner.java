package io.millrace.results.files;

/**
 * Checks an upload as it streams past, never holding more than the bytes handed in: that it is
 * UTF-8 text, within {@link #MAX_BYTES} and within {@link #MAX_LINES} requests, and counts its
 * lines as a batch counts its requests (a line ends at {@code \n}, {@code \r} or {@code \r\n};
 * blank lines are not requests).
 *
 * <p>What a single line holds (JSON, a {@code custom_id}, a valid body, its length) is not the
 * file's problem: as on OpenAI, a file with bad lines is stored, and each bad line is answered
 * with its own error when a batch runs it. Only what makes the whole file unusable refuses it.
 */
final class UploadScanner {
    /** OpenAI's limit on a batch input file, 200 MB, read as MiB: 209,715,200 bytes. */
    static final long MAX_BYTES = 200L * 1024 * 1024;
    /** OpenAI's limit on the requests of one batch file. */
    static final long MAX_LINES = 50_000;

    /** Why a file is refused, with the HTTP status and the form field to blame. */
    static final class Rejected extends Exception {
        final int status;
        final String param;

        Rejected(int status, String param, String message) {
            super(message, null, false, false);
            this.status = status;
            this.param = param;
        }
    }

    /** What the scan found in an accepted file. */
    record Summary(long bytes, long lines) {}

    private final long maxBytes;
    private final long maxLines;
    private long bytes;
    private long lines;
    private long physicalLine = 1;
    private boolean blank = true;
    private boolean lineHasBytes;
    private boolean afterCr;
    // UTF-8 decoder state: continuation bytes still expected, and the range the next one must be in
    // (narrower than 80..BF right after E0, ED, F0 and F4: no overlongs, surrogates or > U+10FFFF).
    private int need;
    private int lo = 0x80;
    private int hi = 0xBF;

    UploadScanner() {
        this(MAX_BYTES, MAX_LINES);
    }

    UploadScanner(long maxBytes, long maxLines) {
        this.maxBytes = maxBytes;
        this.maxLines = maxLines;
    }

    void feed(byte[] buffer, int offset, int length) throws Rejected {
        bytes += length;
        if (bytes > maxBytes) {
            throw new Rejected(413, "file", "The file is larger than the limit of " + maxBytes
                    + " bytes (200 MB): split it into several files, one batch each.");
        }
        for (int i = offset; i < offset + length; i++) {
            int b = buffer[i] & 0xFF;
            utf8(b, bytes - (offset + length - i));
            if (b == '\n' && afterCr) {
                afterCr = false; // the \n of a \r\n: the line already ended at the \r
                continue;
            }
            afterCr = false;
            if (b == '\n' || b == '\r') {
                endLine();
                afterCr = b == '\r';
            } else {
                lineHasBytes = true;
                if (blank && !(b == ' ' || b == '\t' || b == 0x0B || b == 0x0C)) {
                    blank = false;
                }
            }
        }
    }

    Summary finish() throws Rejected {
        if (need > 0) {
            throw notUtf8("the file ends inside a multi-byte character");
        }
        if (lineHasBytes) {
            endLine();
        }
        if (lines == 0) {
            throw new Rejected(400, "file", "The file has no lines: a batch input file holds one JSON request per line.");
        }
        return new Summary(bytes, lines);
    }

    private void utf8(int b, long position) throws Rejected {
        if (need > 0) {
            if (b < lo || b > hi) {
                throw notUtf8("byte " + position + " is not a valid continuation of a UTF-8 character");
            }
            lo = 0x80;
            hi = 0xBF;
            need--;
            return;
        }
        if (b < 0x80) {
            return;
        }
        if (b >= 0xC2 && b <= 0xDF) {
            need = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            need = 2;
            lo = b == 0xE0 ? 0xA0 : 0x80;
            hi = b == 0xED ? 0x9F : 0xBF;
        } else if (b >= 0xF0 && b <= 0xF4) {
            need = 3;
            lo = b == 0xF0 ? 0x90 : 0x80;
            hi = b == 0xF4 ? 0x8F : 0xBF;
        } else {
            throw notUtf8("byte " + position + " (0x" + Integer.toHexString(b).toUpperCase() + ") cannot start a UTF-8 character");
        }
    }

    private Rejected notUtf8(String where) {
        return new Rejected(400, "file", "The file is not UTF-8 text: on line " + physicalLine + ", " + where
                + ". Save it as UTF-8 JSONL.");
    }

    private void endLine() throws Rejected {
        if (!blank) {
            lines++;
            if (lines > maxLines) {
                throw new Rejected(400, "file", "The file has more than the limit of " + maxLines
                        + " requests (non-blank lines): split it into several files, one batch each.");
            }
        }
        physicalLine++;
        blank = true;
        lineHasBytes = false;
    }
}
