package io.millrace.infra;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code millrace} command line: {@code batch}, {@code serve}, {@code cancel},
 * {@code model init-tiny}, {@code db init} and {@code eval run|compare}, each a picocli command whose help is generated from its options.
 *
 * <p>Exit codes are the contract scripts rely on: 0 done, 1 the run failed (one line
 * {@code millrace: <what is wrong>} on stderr), 2 wrong usage (the error, then the command's usage).
 */
@Command(name = "millrace", mixinStandardHelpOptions = true, versionProvider = Millrace.Version.class,
        // INHERIT: every subcommand gets --help, --version and this usage layout without repeating them.
        scope = ScopeType.INHERIT, sortOptions = false, synopsisHeading = "usage: ", abbreviateSynopsis = true,
        usageHelpWidth = 100, synopsisSubcommandLabel = "COMMAND",
        description = "Kafka-native pipeline for LLM generation in bulk.", subcommands = HelpCommand.class,
        footerHeading = "%n", footer = "Exit codes: 0 done, 1 the run failed, 2 wrong usage.")
public final class Millrace {
    static final int FAILED = 1;
    static final int USAGE = 2;

    private Millrace() {}

    public static void main(String[] argv) {
        System.exit(run(Arrays.asList(argv), System.out, System.err));
    }

    /** Runs a command and returns the process exit code: 0 done, 1 failed, 2 wrong usage. */
    static int run(List<String> argv, PrintStream out, PrintStream err) {
        return run(argv, out, err, System.getenv());
    }

    /** {@link #run(List, PrintStream, PrintStream)} with the environment given, for tests. */
    static int run(List<String> argv, PrintStream out, PrintStream err, Map<String, String> env) {
        CommandLine cli = commandLine(out, err, env);
        try {
            if (argv.isEmpty()) {
                cli.usage(out);
                return USAGE;
            }
            return cli.execute(argv.toArray(String[]::new));
        } finally {
            cli.getOut().flush();
            cli.getErr().flush();
        }
    }

    /** The command tree, its output and its exit codes; tests parse with it as {@code run} does. */
    static CommandLine commandLine(PrintStream out, PrintStream err, Map<String, String> env) {
        CommandLine cli = new CommandLine(new Millrace())
                .addSubcommand(new BatchCommand(out, System.console() != null, env))
                .addSubcommand(new ServeCommand(out, env))
                .addSubcommand(new CancelCommand(out, env))
                .addSubcommand(new KeysCommand(out, env, java.time.Clock.systemUTC()))
                .addSubcommand(new WebhooksCommand(out, env, java.time.Clock.systemUTC()))
                .addSubcommand(new ModelCommand(out))
                .addSubcommand(new DbCommand(out))
                .addSubcommand(new CommandLine(new EvalCommand())
                        .addSubcommand(new EvalRunCommand(out, System.console() != null, env))
                        .addSubcommand(new EvalCompareCommand(out)));
        // What the hand-written parser did, kept: a repeated option takes the later value, an argument
        // starting with @ is a file name (not a file of arguments), and options are never abbreviated.
        cli.setOverwrittenOptionsAllowed(true);
        cli.setExpandAtFiles(false);
        cli.setOut(writer(out));
        cli.setErr(writer(err));
        cli.setParameterExceptionHandler(Millrace::usageError);
        cli.setExecutionExceptionHandler((e, command, parsed) -> failure(e, command));
        return cli;
    }

    /** picocli's error (with its "did you mean" for a typo), then the usage of the command that was called. */
    private static int usageError(ParameterException e, String[] argv) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println("millrace: " + e.getMessage());
        UnmatchedArgumentException.printSuggestions(e, err);
        command.usage(err);
        return USAGE;
    }

    /**
     * The one table of failures: a usage mistake found once options are resolved is exit 2 like a
     * parse error; anything else the command threw is a failed run, exit 1, told in one line.
     */
    private static int failure(Exception e, CommandLine command) {
        if (e instanceof java.io.UncheckedIOException unchecked) {
            e = unchecked.getCause();
        }
        if (e instanceof UsageException) {
            return usageError(new ParameterException(command, e.getMessage(), e), new String[0]);
        }
        if (e instanceof NoSuchFileException missing) {
            command.getErr().println("millrace: " + missing.getFile() + ": " + missing.getReason());
        } else {
            // Some exceptions (a NullPointerException, say) have no message: never print "millrace: null".
            command.getErr().println("millrace: " + (e.getMessage() == null || e.getMessage().isBlank() ? e.toString() : e.getMessage()));
        }
        return FAILED;
    }

    private static PrintWriter writer(PrintStream stream) {
        return new PrintWriter(stream, true);
    }

    /** {@code --version}: the project version, written into version.properties by the build. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Millrace.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"millrace " + p.getProperty("version", "(unknown version)")};
        }
    }
}
