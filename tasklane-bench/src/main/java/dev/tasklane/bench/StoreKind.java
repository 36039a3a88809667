package dev.tasklane.bench;

import java.util.Locale;

/** Which store a benchmark runs against. */
public enum StoreKind {
  /** The embedded store: a new SQLite file per scenario run, in a temporary directory. */
  SQLITE("sqlite"),
  /** PostgreSQL: a new schema per scenario run, dropped afterwards. */
  POSTGRES("postgres");

  private final String id;

  StoreKind(String id) {
    this.id = id;
  }

  /** The name on the command line and in the output: {@code sqlite} or {@code postgres}. */
  public String id() {
    return id;
  }

  /**
   * The store named {@code text} ({@code sqlite}, {@code postgres} or {@code postgresql}, any case).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static StoreKind parse(String text) {
    return switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "sqlite" -> SQLITE;
      case "postgres", "postgresql" -> POSTGRES;
      default -> throw new IllegalArgumentException("store must be sqlite or postgres, not '" + text + "'");
    };
  }
}
