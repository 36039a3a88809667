package dev.tasklane.cli;

import dev.tasklane.postgres.PostgresOptions;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * Which store a command opens: {@code --store} and the options that locate it. Shared by {@code
 * serve} and the commands that manage what the store keeps ({@code token}, {@code user}), so that
 * they find the same database with the same flags and environment variables.
 */
final class StoreOptions {
  @Option(
      names = "--store",
      paramLabel = "sqlite|postgres",
      defaultValue = "sqlite",
      description =
          "Where tasks live: sqlite (one file, one node) or postgres (a cluster of nodes; needs"
              + " --db-url) (env TASKLANE_STORE, default ${DEFAULT-VALUE}).")
  String store;

  @Option(
      names = "--db-url",
      paramLabel = "<jdbc-url>",
      // Paths and URLs on lines of their own: wrapped, they would break inside (at "./" or a dot).
      description = {
        "PostgreSQL JDBC URL (env TASKLANE_DB_URL), e.g.",
        "jdbc:postgresql://127.0.0.1:5432/tasklane"
      })
  String dbUrl;

  @Option(
      names = "--db-user",
      paramLabel = "<user>",
      description = "PostgreSQL user, unless the URL names one (env TASKLANE_DB_USER).")
  String dbUser;

  @Option(
      names = "--db-password",
      paramLabel = "<password>",
      description = "PostgreSQL password; prefer the environment variable (env TASKLANE_DB_PASSWORD).")
  String dbPassword;

  @Option(
      names = "--db-schema",
      paramLabel = "<schema>",
      defaultValue = "public",
      description = "PostgreSQL schema, created if missing (env TASKLANE_DB_SCHEMA, default ${DEFAULT-VALUE}).")
  String dbSchema;

  @Option(
      names = "--db",
      paramLabel = "<file>",
      defaultValue = "./tasklane-data/tasklane.db",
      description = {
        "SQLite database file, created if missing, with --store sqlite (env TASKLANE_DB). Default:",
        "${DEFAULT-VALUE}"
      })
  String db;

  /**
   * The chosen store.
   *
   * @param tune adds command-specific PostgreSQL options (pool size, timeouts)
   * @throws ParameterException naming the flag, for a missing or bad value
   */
  StoreChoice choice(CommandSpec spec, UnaryOperator<PostgresOptions> tune) {
    switch (store.strip().toLowerCase(Locale.ROOT)) {
      case "sqlite" -> {
        if (db.isBlank()) {
          throw new ParameterException(spec.commandLine(), "--db must not be empty");
        }
        return new StoreChoice.Sqlite(Path.of(db));
      }
      case "postgres", "postgresql" -> {
        if (dbUrl == null || !dbUrl.startsWith("jdbc:postgresql:")) {
          throw new ParameterException(
              spec.commandLine(),
              "--store postgres needs --db-url jdbc:postgresql://HOST:PORT/DATABASE (or TASKLANE_DB_URL)");
        }
        try {
          PostgresOptions options = tune.apply(PostgresOptions.of(dbUrl).withSchema(dbSchema));
          if (dbUser != null) {
            options = options.withUser(dbUser);
          }
          if (dbPassword != null) {
            options = options.withPassword(dbPassword);
          }
          return new StoreChoice.Postgres(options);
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
      }
      default -> throw new ParameterException(
          spec.commandLine(), "--store must be sqlite or postgres, not '" + store + "'");
    }
  }
}
