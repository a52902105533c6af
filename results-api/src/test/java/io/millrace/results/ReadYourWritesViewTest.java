package io.millrace.results;

import static io.millrace.results.Fixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.events.BatchEvent;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology's stores stand for a view that has not read a write yet as long as the event is
 * not piped into them; piping it is the view catching up.
 */
class ReadYourWritesViewTest {
    @TempDir
    Path stateDir;
    TopologyHarness t;
    ReadYourWritesView view;

    @BeforeEach
    void start() {
        t = new TopologyHarness(stateDir);
        view = new ReadYourWritesView(t.view);
    }

    @AfterEach
    void stop() {
        t.close();
    }

    private static BatchEvent created(String id) {
        return BatchEvent.ofFile(id, "/v1/chat/completions", "file-1", "24h", T0, T0 + 86_400_000L, Map.of(), "acme");
    }

    @Test
    void aBatchJustCreatedIsReadBeforeTheViewHasIt() {
        view.wrote(created("batch_a"));

        assertThat(t.view.batch("batch_a")).isEmpty();
        assertThat(view.batch("batch_a")).contains(created("batch_a"));
        assertThat(view.batches()).extracting(BatchEvent::batchId).containsExactly("batch_a");
    }

    @Test
    void aWriteIsForgottenOnceTheViewShowsIt() {
        view.wrote(created("batch_a"));
        t.publish(created("batch_a"));

        BatchEvent inProgress = created("batch_a").inProgress(5, T0 + 10);
        t.publish(inProgress);

        assertThat(view.batch("batch_a")).contains(inProgress);
        assertThat(view.unseen()).isZero();
    }

    @Test
    void aCancelIsShownOverAViewThatHasNotReadItAndKeepsWhatTheViewKnowsSince() {
        BatchEvent inProgress = created("batch_a").inProgress(5, T0 + 10);
        t.publish(created("batch_a"));
        // The cancel is made from a copy read before the batch went in progress.
        view.wrote(created("batch_a").cancel(T0 + 20));
        t.publish(inProgress);

        BatchEvent shown = view.batch("batch_a").orElseThrow();
        assertThat(shown.cancelledAt()).isEqualTo(T0 + 20);
        assertThat(shown.inProgressAt()).isEqualTo(T0 + 10);
        assertThat(shown.total()).isEqualTo(5);
        assertThat(view.batches()).containsExactly(shown);
        assertThat(view.unseen()).isOne();

        t.publish(created("batch_a").cancel(T0 + 20));
        assertThat(view.batch("batch_a").orElseThrow().cancelledAt()).isEqualTo(T0 + 20);
        assertThat(view.unseen()).isZero();
    }

    @Test
    void aWriteSweepsTheEarlierWritesTheViewShowsByNow() {
        view.wrote(created("batch_a"));
        t.publish(created("batch_a"));
        view.wrote(created("batch_b"));

        assertThat(view.unseen()).isOne();
    }

    @Test
    void publishingRemembersOnlyWhatWasWritten() {
        java.util.List<BatchEvent> topic = new java.util.ArrayList<>();
        view.publishingWith(topic::add).accept(created("batch_a"));
        assertThat(topic).containsExactly(created("batch_a"));
        assertThat(view.batch("batch_a")).isPresent();

        java.util.function.Consumer<BatchEvent> failing = view.publishingWith(e -> {
            throw new NotReadyException("broker unreachable", null);
        });
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> failing.accept(created("batch_b")))
                .isInstanceOf(NotReadyException.class);
        assertThat(view.batch("batch_b")).isEmpty();
    }
}
