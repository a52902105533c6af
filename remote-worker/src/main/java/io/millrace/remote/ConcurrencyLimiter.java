package io.millrace.remote;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * At most {@code permits} calls to one remote server at once; the rest wait, interactive ones first
 * (a client is waiting on them), each lane in arrival order. A task runs on the thread that frees
 * its slot (or the submitter's), so tasks must only start asynchronous work.
 */
final class ConcurrencyLimiter {
    private final int permits;
    private final Deque<Runnable> interactive = new ArrayDeque<>();
    private final Deque<Runnable> batch = new ArrayDeque<>();
    private int running;

    ConcurrencyLimiter(int permits) {
        this.permits = permits;
    }

    /** Runs {@code task} now if a slot is free, else when one is; it must {@link #release} once done. */
    void submit(boolean isInteractive, Runnable task) {
        synchronized (this) {
            if (running >= permits) {
                (isInteractive ? interactive : batch).addLast(task);
                return;
            }
            running++;
        }
        task.run();
    }

    /** A task that has not started yet no longer wants its slot (its request was cancelled). */
    synchronized boolean withdraw(Runnable task) {
        return interactive.remove(task) || batch.remove(task);
    }

    /** Frees a slot, starting the next waiting task in it. */
    void release() {
        Runnable next;
        synchronized (this) {
            next = interactive.pollFirst();
            if (next == null) {
                next = batch.pollFirst();
            }
            if (next == null) {
                running--;
                return;
            }
        }
        next.run();
    }

    synchronized int running() {
        return running;
    }

    synchronized int waiting() {
        return interactive.size() + batch.size();
    }
}
