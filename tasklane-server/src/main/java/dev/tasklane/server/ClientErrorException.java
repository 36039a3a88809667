package dev.tasklane.server;

/**
 * A request the server cannot act on for a reason that is the client's, with the status and the
 * sentence to answer: {@code 400} for a body that ended early, {@code 415} for a body that is not
 * JSON. Mapped by {@link ErrorMapping}; never logged with a stack trace.
 */
final class ClientErrorException extends RuntimeException {
  private final int status;

  ClientErrorException(int status, String detail) {
    super(detail, null, false, false);
    this.status = status;
  }

  int status() {
    return status;
  }
}
