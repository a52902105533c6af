package io.millrace.results;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.junit.jupiter.api.Test;

class StreamsResultsViewTest {
    private final StreamsResultsView rebalancing = new StreamsResultsView(new StoreLookup() {
        @Override
        public <V> org.apache.kafka.streams.state.ReadOnlyKeyValueStore<String, V> keyValueStore(String name) {
            throw new InvalidStateStoreException("store " + name + " is migrating");
        }
    });

    @Test
    void aStoreThatIsNotQueryableIsNotReady() {
        assertThatThrownBy(() -> rebalancing.result("b1:a")).isInstanceOf(NotReadyException.class)
                .hasMessageContaining("results-by-request");
        assertThatThrownBy(() -> rebalancing.batch("b1")).isInstanceOf(NotReadyException.class);
        assertThatThrownBy(() -> rebalancing.counts("b1")).isInstanceOf(NotReadyException.class);
    }
}
