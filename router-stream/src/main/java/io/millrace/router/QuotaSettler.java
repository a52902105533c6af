package io.millrace.router;

import io.millrace.protocol.Stores;
import io.millrace.protocol.events.QuotaUsage;
import io.millrace.protocol.events.ResultEvent;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Replaces the estimate charged to a routed request ({@link QuotaGate}) with its real usage when its
 * result arrives ({@link PendingResults}: the task that charged a request sees its result). A result without
 * usage (an error, a cancelled request) refunds the estimate: nothing was generated. A result of a
 * window already over changes nothing. The correction, the pending entry's removal and the input
 * offset commit together (the task's transaction), so no result is counted twice.
 */
final class QuotaSettler implements Processor<byte[], byte[], String, QuotaUsage> {
    private final QuotaPolicy policy;
    private ProcessorContext<String, QuotaUsage> context;
    private PendingResults<QuotaLedger.Pending> pending;
    private QuotaLedger ledger;

    QuotaSettler(QuotaPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void init(ProcessorContext<String, QuotaUsage> context) {
        this.context = context;
        this.pending = new PendingResults<>(context.getStateStore(Stores.ROUTER_QUOTA_PENDING));
        this.ledger = new QuotaLedger(context);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        QuotaLedger.Pending charged = pending.take(record.key());
        if (charged == null) {
            return;
        }
        long window = policy.windowStart(context.currentSystemTimeMs());
        if (charged.windowStart() != window || !policy.limits(charged.tenant())) {
            return;
        }
        Record<String, QuotaUsage> usage = ledger.charge(charged.tenant(), window, used(record.value()) - charged.estimate(),
                record.timestamp());
        if (usage != null) {
            context.forward(usage);
        }
    }

    /** {@code usage.total_tokens} of the result, or 0 when it has none (an error) or is not a result. */
    private static long used(byte[] value) {
        ResultEvent r = PendingResults.decode(value);
        return r == null || r.body() == null ? 0 : Math.max(0, r.body().path("usage").path("total_tokens").asLong(0));
    }
}
