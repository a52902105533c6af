package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented benchmark commands run on a fresh clone (docs/BENCHMARKS.md promises it, and a
 * command that worked only after {@code mvn install} once slipped through): each runs, at its
 * smallest size, in a clone of this repository with nothing built, and must print its figures. The
 * figures are not checked: timing belongs in the benchmark, never in a test.
 */
class BenchmarkCommandsIT {
    @TempDir
    static Path dir;
    static Path clone;

    @BeforeAll
    static void cloneTheRepository() throws Exception {
        Path root = repoRoot();
        clone = dir.resolve("clone");
        run(List.of("git", "clone", "--quiet", root.toString(), clone.toString()), dir, 120);
    }

    @Test
    void apiLatencyRunsOnAFreshClone() throws Exception {
        String out = run(List.of("bash", "benchmarks/api-latency.sh", "--requests", "2", "--concurrent-requests", "2"), clone, 600);

        assertThat(out).contains("http, 1 client").contains("kafka, 16 clients").contains("sse first chunk");
    }

    @Test
    void routerRunsOnAFreshClone() throws Exception {
        String out = run(List.of("bash", "benchmarks/router.sh", "--events", "200", "--hits", "2"), clone, 600);

        assertThat(out).contains("router / passthrough").contains("cache hit p50 ms");
    }

    @Test
    void interactiveTtftRunsOnAFreshClone() throws Exception {
        String out = run(List.of("bash", "benchmarks/interactive-ttft.sh", "--lines", "40", "--requests", "2", "--batch-tokens", "8"),
                clone, 600);

        assertThat(out).contains("idle worker").contains("-line batch runs").contains("ratio loaded / idle p50");
    }

    @Test
    void cdcRunsOnAFreshClone() throws Exception {
        String out = run(List.of("bash", "benchmarks/cdc.sh", "--rows", "20", "--samples", "2"), clone, 600);

        assertThat(out).contains("ratio cdc / baseline").contains("added by capture").contains("INSERT -> result row");
    }

    @Test
    void generationRunsOnAFreshClone() throws Exception {
        String out = run(List.of("bash", "benchmarks/generation.sh", "--prompts", "2", "--new-tokens", "2", "--engines", "batch"),
                clone, 600);

        assertThat(out).contains("millrace BatchEngine");
    }

    /**
     * The checkout this test runs in. Its committed state is what gets cloned: the point is a
     * fresh clone, so uncommitted edits to the scripts are not what this test sees.
     */
    private static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isDirectory(d.resolve(".git")) && Files.isDirectory(d.resolve("benchmarks"))) {
                return d;
            }
        }
        // A source tree without git history (an unpacked archive) has nothing to clone: the check
        // needs a git checkout, as every CI run and development tree has.
        Assumptions.abort("not a git checkout: cannot clone " + Path.of("").toAbsolutePath() + " to check the benchmarks");
        return null;
    }

    /** Runs a command to its end; its output (stdout and stderr) is returned, or in the failure. */
    private static String run(List<String> command, Path in, long seconds) throws IOException, InterruptedException {
        Path log = Files.createTempFile(dir, "cmd", ".log");
        Process p = new ProcessBuilder(command).directory(in.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command + " did not finish in " + seconds + " s:\n" + tail(log));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(command + " exit code; output:\n" + tail(log)).isZero();
        return out;
    }

    private static String tail(Path log) throws IOException {
        String s = Files.readString(log, StandardCharsets.UTF_8);
        return s.substring(Math.max(0, s.length() - 6000));
    }
}
