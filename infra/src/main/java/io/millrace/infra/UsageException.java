package io.millrace.infra;

/**
 * A mistake in how a command was called that only shows once its options are resolved (a port out
 * of range, a {@code --set} key no stage reads): the command line prints it with the command's
 * usage and exits 2, as it does for the errors picocli finds while parsing.
 */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
