package io.millrace.infra;

import static org.assertj.core.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the Node tools the ITs run (tools/…, installed by tools/npm-ensure before the ITs) live. */
final class NodeTools {
    private NodeTools() {}

    /** The repository root: the first directory above the working directory that has tools/npm-ensure. */
    static Path repoRoot() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("tools/npm-ensure"))) {
                return d;
            }
        }
        return fail("no tools/npm-ensure above " + Path.of("").toAbsolutePath() + ": run the tests from the repository");
    }
}
