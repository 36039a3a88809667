package dev.tasklane.cli;

/** What the {@code tasklane} command's exit status means; scripts may rely on these. */
public final class ExitCodes {
  /** Done. */
  public static final int OK = 0;

  /** The server refused the request (4xx or 5xx), or the command failed. */
  public static final int FAILED = 1;

  /** Bad flags or arguments. */
  public static final int USAGE = 2;

  /** No server answered at the given address. */
  public static final int UNREACHABLE = 3;

  private ExitCodes() {}
}
