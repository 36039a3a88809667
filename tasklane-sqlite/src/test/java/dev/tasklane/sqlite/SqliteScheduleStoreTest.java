package dev.tasklane.sqlite;

import dev.tasklane.spi.TaskStore;
import dev.tasklane.testkit.ScheduleStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite file's schedules against the contract. */
class SqliteScheduleStoreTest extends ScheduleStoreContract {
  @TempDir Path dir;
  private SqliteTaskStore store;

  @BeforeEach
  void open() {
    store = SqliteTaskStore.open(dir.resolve("tasklane.db"));
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Override
  protected TaskStore store() {
    return store;
  }
}
