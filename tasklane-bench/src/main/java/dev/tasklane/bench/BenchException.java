package dev.tasklane.bench;

/** A benchmark that cannot run or did not finish; its message says why, for the user. */
public final class BenchException extends RuntimeException {
  public BenchException(String message) {
    super(message);
  }

  public BenchException(String message, Throwable cause) {
    super(message, cause);
  }
}
