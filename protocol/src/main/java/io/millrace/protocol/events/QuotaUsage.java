package io.millrace.protocol.events;

/**
 * Tokens one router task charged a tenant in one quota window, on {@code millrace.quota-usage},
 * keyed {@code <partition>:<tenant>}. Each router task writes only its own partition's keys, in its
 * transaction, and every router instance reads them all, so a tenant's usage is the sum over the
 * partitions of the entries for the current window (an entry of an earlier window counts 0).
 *
 * @param tenant      the tenant charged
 * @param partition   the {@code millrace.requests} partition of the router task that charged it
 * @param windowStart epoch milliseconds when the window began (00:00 UTC of its day)
 * @param used        tokens charged in the window: estimates at routing, corrected by the results' usage
 */
public record QuotaUsage(String tenant, int partition, long windowStart, long used) {
    /** Tokens charged in the window starting at {@code window}: 0 for an entry of another window. */
    public long usedIn(long window) {
        return windowStart == window ? used : 0;
    }

    /** The key of a task's entry for a tenant on {@code millrace.quota-usage}. */
    public static String key(int partition, String tenant) {
        return partition + ":" + tenant;
    }
}
