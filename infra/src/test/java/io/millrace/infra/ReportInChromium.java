package io.millrace.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.millrace.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * An eval report as headless Chromium renders it: tools/report-check/check.mjs opens the file in
 * Debian's chromium through Playwright and reports each summary table's heading and rows as shown.
 * A missing Chromium fails the test with what to install: the check is part of the suite, never skipped.
 */
final class ReportInChromium {
    private ReportInChromium() {}

    /** {"title", "tables": [{"metric", "visible", "header", "rows"}], "svg_bars", "fetched"}. */
    static JsonNode open(Path report) throws Exception {
        Path out = Files.createTempFile("report-check", ".json");
        Path err = Files.createTempFile("report-check", ".err");
        try {
            Process p = new ProcessBuilder("node", NodeTools.repoRoot().resolve("tools/report-check/check.mjs").toString(),
                    report.toAbsolutePath().toString()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return fail("headless Chromium did not render " + report + " within 120 s; stderr: " + Files.readString(err));
            }
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            if (p.exitValue() == 2) {
                return fail("the report check needs Chromium: install Debian's chromium (apt-get install -y chromium"
                        + " chromium-driver; README, prerequisites). " + stderr);
            }
            assertThat(p.exitValue()).as("tools/report-check/check.mjs exit code (is Node 20+ on PATH? mvn verify installs its"
                    + " package; by hand: tools/npm-ensure tools/report-check); stderr: " + stderr).isZero();
            return Json.MAPPER.readTree(Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
