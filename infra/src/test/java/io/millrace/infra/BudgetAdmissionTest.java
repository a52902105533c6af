package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.ingest.BudgetRouting;
import io.millrace.ingest.ModelOffer;
import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.ModelCatalog;
import io.millrace.results.BatchAdmission;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Budget routing's plan, asked by POST /v1/batches before a batch is created. */
class BudgetAdmissionTest {
    private static final ModelCatalog CATALOG = ModelCatalog.of(new ModelCatalog.Entry("tiny", 512), new ModelCatalog.Entry("big", 4096));
    /** A line of 12 prompt characters (3 tokens) and max_tokens 7: 10 tokens, $0.00001 on tiny, $0.0001 on big. */
    private static final BudgetAdmission ADMISSION = new BudgetAdmission(new BudgetRouting(List.of(new ModelOffer("tiny", 1.0, 1.0, 0.5),
            new ModelOffer("big", 10.0, 10.0, 0.9)), new ChatRequestValidator(CATALOG), Clock.systemUTC()));
    private static final String LINES = line("01") + "\n" + line("02") + "\n";

    private static String line(String customId) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Question " + customId + "?\"}],\"max_tokens\":7}}";
    }

    private static BatchAdmission.Content content() {
        return () -> new ByteArrayInputStream(LINES.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aBudgetNoPlanCanKeepIsRefusedSayingWhatTheCheapestPlanCosts() throws Exception {
        Optional<BatchAdmission.Refusal> refused = ADMISSION.check(content(), "/v1/chat/completions", Map.of("budget_usd", "0.000015"));

        assertThat(refused).isPresent();
        assertThat(refused.get().code()).isEqualTo(ErrorCodes.BUDGET_NOT_PLANNED);
        assertThat(refused.get().param()).isEqualTo("metadata.budget_usd");
        assertThat(refused.get().message()).contains("estimated at $0.00002").contains("raise budget_usd to at least 0.00002");
    }

    @Test
    void aBudgetThatFitsOrNoBudgetIsAdmittedAndWithoutABudgetTheFileIsNotRead() throws Exception {
        assertThat(ADMISSION.check(content(), "/v1/chat/completions", Map.of("budget_usd", "0.001"))).isEmpty();
        BatchAdmission.Content unread = () -> {
            throw new AssertionError("the file was read for a batch without a budget");
        };
        assertThat(ADMISSION.check(unread, "/v1/chat/completions", Map.of("project", "demo"))).isEmpty();
        assertThat(ADMISSION.check(unread, "/v1/chat/completions", null)).isEmpty();
    }
}
