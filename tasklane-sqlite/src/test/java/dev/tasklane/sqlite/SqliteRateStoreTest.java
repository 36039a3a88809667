package dev.tasklane.sqlite;

import dev.tasklane.spi.TaskStore;
import dev.tasklane.testkit.RateStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite file's rate limits against the contract. */
class SqliteRateStoreTest extends RateStoreContract {
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
