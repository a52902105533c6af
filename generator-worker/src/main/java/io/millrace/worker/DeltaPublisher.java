package io.millrace.worker;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.DeltaEvent;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the text deltas of streamed requests to {@code millrace.stream} as the engine
 * generates them. Deliberately outside the worker's transaction: a delta must reach the client
 * while the completion is still generating, and the committed result, not the deltas, is the
 * answer. Idempotent, so deltas of one request (one partition) arrive in order and once per send;
 * a lost one is made good by the result. Sends never block the inference thread for long: the
 * producer's buffer absorbs them, and a failed send is logged, not retried.
 */
final class DeltaPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeltaPublisher.class);

    private final Producer<String, byte[]> producer;

    DeltaPublisher(String bootstrapServers) {
        this(new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
                // A token is worth sending now: someone is reading it as it comes.
                ProducerConfig.LINGER_MS_CONFIG, 0,
                ProducerConfig.CLIENT_ID_CONFIG, "millrace-worker-deltas"), new StringSerializer(), new ByteArraySerializer()));
    }

    DeltaPublisher(Producer<String, byte[]> producer) {
        this.producer = producer;
    }

    /** A listener for choice {@code choice} of {@code requestId}, numbering its deltas from 0. */
    io.millrace.worker.model.SamplingParams.TextListener listener(String requestId, int choice) {
        AtomicInteger seq = new AtomicInteger();
        return text -> publish(new DeltaEvent(requestId, choice, seq.getAndIncrement(), text));
    }

    /** Sends one delta, numbered by its sender; never throws into the caller's (inference or HTTP) thread. */
    void publish(DeltaEvent delta) {
        String requestId = delta.requestId();
        try {
            producer.send(new ProducerRecord<>(Topics.STREAM.name(), requestId,
                    Topics.DELTA_SERDE.serializer().serialize(Topics.STREAM.name(), delta)), (md, e) -> {
                        if (e != null) {
                            log.warn("a delta of {} was not published ({}); its result will carry the text", requestId, e.toString());
                        }
                    });
        } catch (RuntimeException e) {
            // Never into the inference thread: a closing producer must not fail the batch.
            log.debug("a delta of {} was not published: {}", requestId, e.toString());
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
