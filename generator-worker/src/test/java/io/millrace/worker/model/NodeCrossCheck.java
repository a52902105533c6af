package io.millrace.worker.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the scripts of {@code tools/crosscheck} (transformers.js on onnxruntime-node) for the cross-check tests. */
final class NodeCrossCheck {
    private static final ObjectMapper JSON = new ObjectMapper();

    private NodeCrossCheck() {}

    /** tools/crosscheck of the repository, with its packages installed: Failsafe runs in the module directory, so search upwards. */
    static Path dir() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("tools/crosscheck");
            if (Files.isRegularFile(candidate.resolve("package.json"))) {
                if (!Files.isDirectory(candidate.resolve("node_modules/@huggingface/transformers"))) {
                    throw new AssertionError(candidate + "/node_modules is missing: `mvn verify` installs it before the ITs;"
                            + " when running this test alone, run tools/npm-ensure tools/crosscheck (Node 20+) first");
                }
                return candidate;
            }
        }
        throw new AssertionError("tools/crosscheck/package.json not found above " + Path.of("").toAbsolutePath());
    }

    /** Runs {@code node SCRIPT ARGS...} in the script's folder, its output in {@code tmp}; returns the JSON it prints. */
    static JsonNode run(Path script, Path tmp, String... args) throws Exception {
        Path stdout = Files.createTempFile(tmp, "node", ".out");
        Path stderr = Files.createTempFile(tmp, "node", ".err");
        List<String> command = new ArrayList<>(List.of("node", script.toString()));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .directory(script.getParent().toFile())
                    .redirectOutput(stdout.toFile())
                    .redirectError(stderr.toFile())
                    .start();
        } catch (IOException e) {
            throw new AssertionError("cannot run node (Node 20+ must be on PATH): " + e.getMessage(), e);
        }
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("node " + script.getFileName() + " did not finish in 180 s");
        }
        String err = Files.readString(stderr, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError("node " + script.getFileName() + " failed (exit " + p.exitValue() + "):\n" + err);
        }
        return JSON.readTree(stdout.toFile());
    }
}
