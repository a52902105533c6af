package io.millrace.infra;

import java.io.PrintStream;
import java.time.Duration;

/**
 * Batch progress: a bar redrawn in place on a terminal, plain lines every few seconds otherwise
 * (logs and CI). Shows done/total, generated tokens per second and the time left.
 */
final class Progress {
    private static final long PLAIN_EVERY_MS = 5_000;

    private final PrintStream out;
    private final boolean terminal;
    private final long total;
    private final long startNanos = System.nanoTime();
    private long lastPrintMs = -PLAIN_EVERY_MS;
    private long doneAtStart = -1;
    /** The final line has been printed: a last forced update must not print it again. */
    private boolean finished;

    Progress(PrintStream out, boolean terminal, long total) {
        this.out = out;
        this.terminal = terminal;
        this.total = total;
    }

    void update(long done, long completionTokens, boolean force) {
        long elapsedMs = (System.nanoTime() - startNanos) / 1_000_000;
        if (doneAtStart < 0) {
            doneAtStart = done;
        }
        if (finished || (!force && elapsedMs - lastPrintMs < (terminal ? 100 : PLAIN_EVERY_MS))) {
            return;
        }
        finished = done >= total;
        lastPrintMs = elapsedMs;
        double seconds = Math.max(elapsedMs / 1000.0, 1e-3);
        double tokensPerSecond = completionTokens / seconds;
        double perRequest = (done - doneAtStart) > 0 ? seconds / (done - doneAtStart) : Double.NaN;
        String eta = Double.isNaN(perRequest) ? "--" : format(Duration.ofMillis((long) (perRequest * (total - done) * 1000)));
        String stats = String.format("%d/%d  %.1f tok/s  ETA %s", done, total, tokensPerSecond, eta);
        if (terminal) {
            int width = 30;
            int filled = total == 0 ? width : (int) (width * done / total);
            out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + stats + "   ");
            if (done >= total) {
                out.println();
            }
        } else {
            out.println("progress " + stats);
        }
        out.flush();
    }

    static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, (s % 3600) / 60) : String.format("%dm%02ds", s / 60, s % 60);
    }
}
