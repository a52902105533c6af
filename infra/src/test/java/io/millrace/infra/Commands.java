package io.millrace.infra;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Map;
import picocli.CommandLine.ParseResult;

/** Parses a command line with the real command tree and returns the command it selects, options set. */
final class Commands {
    private Commands() {}

    /** The command {@code argv} selects, parsed with an empty environment and output discarded. */
    static <T> T parse(Class<T> type, String... argv) {
        return parse(type, Map.of(), argv);
    }

    static <T> T parse(Class<T> type, Map<String, String> env, String... argv) {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        ParseResult parsed = Millrace.commandLine(quiet, quiet, env).parseArgs(argv);
        while (parsed.hasSubcommand()) {
            parsed = parsed.subcommand();
        }
        return type.cast(parsed.commandSpec().userObject());
    }
}
