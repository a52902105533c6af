package io.millrace.results.files;

import io.millrace.protocol.Topics;
import io.millrace.protocol.events.FileEvent;
import io.millrace.results.NotReadyException;
import io.millrace.results.TopicFollower;
import java.time.Duration;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every stored file of the deployment, in memory, in id (so creation) order: {@code millrace.files}
 * read from the beginning by one plain consumer per API instance (no group: every instance holds
 * every file). File events are small (a few KiB for a 200 MB file), so memory grows with the count
 * of files, not their size.
 *
 * <p>Consistency: {@link #sync} waits until the index has read everything written to the topic
 * before the call, so a lookup that misses, and every write, sync first: a file uploaded or deleted
 * through any instance is seen by the next request to any other. A list does not sync; it shows
 * what this instance has read, at most a poll behind. Until the first sync completes (the topic
 * read up to its end at start) the index is not ready and reads answer 503.
 */
final class FileIndex implements AutoCloseable {
    static final Duration SYNC_TIMEOUT = Duration.ofSeconds(10);
    private static final Logger log = LoggerFactory.getLogger(FileIndex.class);

    private final NavigableMap<String, FileEvent> files = new ConcurrentSkipListMap<>();
    private final TopicFollower follower;

    FileIndex(String bootstrapServers) {
        follower = new TopicFollower(bootstrapServers, Topics.FILES.name(), TopicFollower.From.BEGINNING, this::apply);
    }

    /** True once the files that existed at start are all read, and while the reader runs. */
    boolean ready() {
        return follower.running() && follower.caughtUp();
    }

    boolean running() {
        return follower.running();
    }

    /** The file, after reading everything written before this call when this instance has not seen it yet. */
    Optional<FileEvent> find(String id) {
        checkReady();
        FileEvent f = files.get(id);
        if (f == null) {
            sync();
            f = files.get(id);
        }
        return Optional.ofNullable(f);
    }

    /** The files as read so far, by id; a read-only view. */
    NavigableMap<String, FileEvent> byId() {
        checkReady();
        return java.util.Collections.unmodifiableNavigableMap(files);
    }

    /** Waits until every file event written before this call is read. */
    void sync() {
        try {
            follower.sync().get(SYNC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotReadyException("interrupted while reading the file index", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new NotReadyException("the file index cannot catch up with " + Topics.FILES.name() + " yet", e);
        }
    }

    private void checkReady() {
        if (!ready()) {
            throw new NotReadyException("the file index is " + (follower.running() ? "still loading" : "stopped"), null);
        }
    }

    private void apply(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return;
        }
        if (r.value() == null) {
            files.remove(r.key());
            return;
        }
        try {
            files.put(r.key(), Topics.FILE_SERDE.deserializer().deserialize(r.topic(), r.value()));
        } catch (RuntimeException e) {
            log.warn("skipping a file event at {}-{}@{} that does not parse: {}", r.topic(), r.partition(), r.offset(),
                    String.valueOf(e.getMessage()));
        }
    }

    @Override
    public void close() {
        follower.close();
    }
}
