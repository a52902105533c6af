package io.millrace.results;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.BatchEvent;
import io.millrace.protocol.events.ResultEvent;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** {@link ResultsTopology} on a TopologyTestDriver, with its stores readable as a {@link ResultsView}. */
final class TopologyHarness implements AutoCloseable {
    final TopologyTestDriver driver;
    final TestInputTopic<String, ResultEvent> results;
    final TestInputTopic<String, BatchEvent> batches;
    final StreamsResultsView view;

    TopologyHarness(Path stateDir) {
        Properties config = ResultsApiService.streamsConfig("unused:9092", stateDir, Map.of());
        driver = new TopologyTestDriver(ResultsTopology.build(), config);
        results = driver.createInputTopic(Topics.RESULTS.name(), Topics.RESULTS.keySerde().serializer(),
                Topics.RESULTS.valueSerde().serializer());
        batches = driver.createInputTopic(Topics.BATCHES.name(), Topics.BATCHES.keySerde().serializer(),
                Topics.BATCHES.valueSerde().serializer());
        view = new StreamsResultsView(driver::getKeyValueStore);
    }

    void publish(ResultEvent r) {
        results.pipeInput(r.requestId(), r);
    }

    void publish(BatchEvent b) {
        batches.pipeInput(b.batchId(), b);
    }

    @Override
    public void close() {
        driver.close();
    }
}
