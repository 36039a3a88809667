package dev.tasklane.cli;

/**
 * A command could not do its job for a reason the user can act on. {@link TasklaneCli} prints the
 * message (never a stack trace) and exits with the code.
 */
final class CommandFailedException extends RuntimeException {
  private final int exitCode;

  CommandFailedException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  int exitCode() {
    return exitCode;
  }
}
