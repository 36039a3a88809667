package dev.tasklane.cli;

import dev.tasklane.postgres.PostgresOptions;
import dev.tasklane.postgres.PostgresTaskStore;
import dev.tasklane.spi.AccessStore;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.sqlite.SqliteTaskStore;
import java.nio.file.Path;
import java.util.Objects;

/** Which store {@code tasklane serve} runs on, resolved from {@code --store} and its options. */
sealed interface StoreChoice {

  /** The name {@code /health} and the start-up line use. */
  String name();

  /** Where the data lives, for messages (never includes a password). */
  String location();

  /**
   * Opens the store, migrating its schema.
   *
   * @throws IllegalStateException if another process has the SQLite file open
   * @throws dev.tasklane.StoreException if the database cannot be opened or migrated
   */
  TaskStore open();

  /** Where a store this choice opened keeps tokens, users, sessions and the audit log. */
  AccessStore accessStore(TaskStore opened);

  /** The embedded store: one SQLite file, one process. */
  record Sqlite(Path file) implements StoreChoice {
    public Sqlite {
      Objects.requireNonNull(file, "file");
    }

    @Override
    public String name() {
      return "sqlite";
    }

    @Override
    public String location() {
      return file.toString();
    }

    @Override
    public TaskStore open() {
      return SqliteTaskStore.open(file);
    }

    @Override
    public AccessStore accessStore(TaskStore opened) {
      return ((SqliteTaskStore) opened).accessStore();
    }
  }

  /** PostgreSQL, shared by every node of a cluster. */
  record Postgres(PostgresOptions options) implements StoreChoice {
    public Postgres {
      Objects.requireNonNull(options, "options");
    }

    @Override
    public String name() {
      return "postgres";
    }

    @Override
    public String location() {
      String url = options.jdbcUrl();
      int query = url.indexOf('?');
      // Drop the query string: it may carry a password.
      return (query < 0 ? url : url.substring(0, query)) + " schema " + options.schema();
    }

    @Override
    public TaskStore open() {
      return PostgresTaskStore.open(options);
    }

    @Override
    public AccessStore accessStore(TaskStore opened) {
      return ((PostgresTaskStore) opened).accessStore();
    }
  }
}
