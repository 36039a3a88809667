package dev.tasklane.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Whose figures a row holds: Tasklane's, or a peer's measured beside it ({@code --compare}) on the
 * same database server, in the same JVM and the same run, through the peer's public Java API as
 * its users call it.
 */
public enum Contender {
  TASKLANE("tasklane"),
  /**
   * <a href="https://github.com/kagkarlsson/db-scheduler">db-scheduler</a>, with its defaults:
   * one {@code scheduled_tasks} table with the indexes its documentation gives, a HikariCP pool of
   * the same size as Tasklane's, the same number of executor threads as Tasklane's handlers, and
   * immediate execution enabled where a scenario measures the time to start.
   */
  DB_SCHEDULER("db-scheduler");

  private final String id;

  Contender(String id) {
    this.id = id;
  }

  /** The name on the command line and in the output. */
  public String id() {
    return id;
  }

  /**
   * The peer named {@code text} (any case); Tasklane itself is not a peer.
   *
   * @throws IllegalArgumentException naming the peers there are
   */
  public static Contender parsePeer(String text) {
    String wanted = text.strip().toLowerCase(Locale.ROOT);
    for (Contender c : values()) {
      if (c != TASKLANE && c.id.equals(wanted)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "no peer '"
            + text
            + "' to compare with; there is: "
            + Arrays.stream(values()).filter(c -> c != TASKLANE).map(Contender::id).collect(Collectors.joining(", ")));
  }
}
