package io.millrace.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.protocol.ChatRequestValidator;
import io.millrace.protocol.ErrorCodes;
import io.millrace.protocol.InputLimits;
import io.millrace.protocol.ModelCatalog;
import io.millrace.protocol.Topics;
import io.millrace.protocol.events.RequestOutcome;
import io.millrace.protocol.events.ResultEvent;
import io.millrace.protocol.fuzz.Hostile;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile batch lines through the real file reader and line parser: for every input exactly one
 * outcome, no exception, an error with a code and a message naming the line, and the parser still
 * accepts the next valid line. Seeded: a failure names its seed and case, which reproduce it.
 */
class BatchLineFuzzTest {
    private static final long SEED = 8_2026L;
    private static final int CASES = 2_000;
    private static final Set<String> CODES = codes();

    @TempDir
    Path dir;

    private final BatchLineParser parser = new BatchLineParser("batch_fuzz",
            new ChatRequestValidator(ModelCatalog.of(new ModelCatalog.Entry("millrace-tiny", 512))),
            Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));

    @Test
    void everyHostileLineGetsExactlyOneClearAnswerAndTheNextLineIsStillAccepted() {
        Random r = new Random(SEED);
        Map<Hostile.Kind, Integer> rejectedByKind = new EnumMap<>(Hostile.Kind.class);
        for (int i = 0; i < CASES; i++) {
            Hostile.Case c = Hostile.mutate(r, Hostile.batchLine(r, "c" + i, "millrace-tiny", 1 + r.nextInt(4)),
                    InputLimits.MAX_LINE_BYTES);
            long line = 2L * i + 1;
            String where = "seed " + SEED + ", case " + i + ": " + c;

            RequestOutcome outcome = parser.parse(new BatchFile.Line(line, c.bytes().length, c.bytes()));

            assertAnswered(outcome, line, where);
            if (outcome instanceof RequestOutcome.Rejected) {
                rejectedByKind.merge(c.kind(), 1, Integer::sum);
            }
            // The stage keeps going: a valid line right after is accepted.
            byte[] next = io.millrace.protocol.Json.writeBytes(Hostile.batchLine(r, "ok" + i, "millrace-tiny", 2));
            assertThat(parser.parse(new BatchFile.Line(line + 1, next.length, next))).as(where)
                    .isInstanceOf(RequestOutcome.Accepted.class);
        }
        // The generator really is hostile: every kind but VALID produced rejections.
        assertThat(rejectedByKind.keySet()).containsAll(java.util.EnumSet.complementOf(java.util.EnumSet.of(
                Hostile.Kind.VALID, Hostile.Kind.DUPLICATE_KEY)));
    }

    /** The same through the file reader: bytes on disk, line ends inside mutated lines included. */
    @Test
    void aFileOfHostileLinesYieldsOneOutcomePerNonBlankLine() throws Exception {
        Random r = new Random(SEED + 1);
        Path file = dir.resolve("hostile.jsonl");
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < 500; i++) {
                out.write(Hostile.mutate(r, Hostile.batchLine(r, "f" + i, "millrace-tiny", 2), InputLimits.MAX_LINE_BYTES).bytes());
                out.write('\n');
            }
        }
        BatchFile batch = new BatchFile(file);
        List<RequestOutcome> outcomes = new ArrayList<>();
        List<Long> numbers = new ArrayList<>();

        batch.forEachLine(line -> {
            numbers.add(line.number());
            RequestOutcome o = parser.parse(line);
            assertAnswered(o, line.number(), "line " + line.number() + " of " + file);
            outcomes.add(o);
        });

        assertThat(outcomes).hasSize((int) batch.summarize().requests()).hasSizeGreaterThanOrEqualTo(500 - 50);
        assertThat(outcomes).extracting(RequestOutcome::requestId).doesNotHaveDuplicates();
        assertThat(numbers).isSorted().doesNotHaveDuplicates();
    }

    private static void assertAnswered(RequestOutcome outcome, long line, String where) {
        assertThat(outcome).as(where).isNotNull();
        assertThat(outcome.requestId()).as(where).isNotBlank();
        if (outcome instanceof RequestOutcome.Rejected rejected) {
            ResultEvent e = rejected.error();
            assertThat(e.error().code()).as(where).isIn(CODES).isNotEqualTo(ErrorCodes.INTERNAL_ERROR);
            assertThat(e.error().message()).as(where).contains("line " + line).doesNotContain("StreamReadConstraints")
                    .hasSizeLessThan(1_000);
            assertThat(e.error().line()).as(where).isEqualTo(line);
            assertThat(e.statusCode()).as(where).isEqualTo(400);
            assertThat(Topics.RESULT_SERDE.serializer().serialize(Topics.RESULTS.name(), e).length).as(where)
                    .isLessThan(InputLimits.MAX_EVENT_BYTES);
        } else {
            RequestOutcome.Accepted accepted = (RequestOutcome.Accepted) outcome;
            assertThat(Topics.REQUEST_SERDE.serializer().serialize(Topics.REQUESTS.name(), accepted.request()).length)
                    .as(where).isLessThanOrEqualTo(InputLimits.MAX_EVENT_BYTES);
        }
    }

    private static Set<String> codes() {
        Set<String> codes = new java.util.HashSet<>();
        for (Field f : ErrorCodes.class.getFields()) {
            try {
                codes.add((String) f.get(null));
            } catch (IllegalAccessException e) {
                throw new AssertionError(e);
            }
        }
        return codes;
    }
}
