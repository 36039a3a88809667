package dev.tasklane.sqlite;

import dev.tasklane.spi.AccessStore;
import dev.tasklane.testkit.AccessStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** The SQLite file's access store against the contract. */
class SqliteAccessStoreTest extends AccessStoreContract {
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
  protected AccessStore access() {
    return store.accessStore();
  }
}
