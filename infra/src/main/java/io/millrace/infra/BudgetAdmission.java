package io.millrace.infra;

import io.millrace.ingest.BatchFile;
import io.millrace.ingest.BatchIngestor;
import io.millrace.ingest.BudgetRouting;
import io.millrace.protocol.BudgetUsd;
import io.millrace.protocol.events.ErrorInfo;
import io.millrace.results.BatchAdmission;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;

/**
 * Budget routing at batch creation: {@code POST /v1/batches} with {@code metadata.budget_usd} plans
 * the file's lines (ingest's {@link BudgetRouting}, the same plan ingest makes before publishing) and
 * refuses the batch, 400 {@code budget_not_planned}, when no plan keeps the budget, with the cheapest
 * plan's estimate in the message. A batch without a budget is not read. Ingest plans again when it
 * runs the batch (the file cannot change), so a batch created by another way is still held to it.
 */
final class BudgetAdmission implements BatchAdmission {
    private final BudgetRouting routing;

    BudgetAdmission(BudgetRouting routing) {
        this.routing = routing;
    }

    @Override
    public Optional<Refusal> check(Content content, String endpoint, Map<String, String> metadata) throws IOException {
        String budget = metadata == null ? null : metadata.get(BudgetUsd.METADATA_KEY);
        if (budget == null) {
            return Optional.empty();
        }
        BatchIngestor.Lines lines = consumer -> {
            try (InputStream in = content.open()) {
                BatchFile.forEachLine(in, consumer);
            }
        };
        // The batch id only names lines in messages; none is published here.
        if (routing.plan(lines, "new-batch", endpoint, budget) instanceof BudgetRouting.Refused refused) {
            ErrorInfo e = refused.error();
            return Optional.of(new Refusal(e.code(), e.param(), e.message()));
        }
        return Optional.empty();
    }
}
