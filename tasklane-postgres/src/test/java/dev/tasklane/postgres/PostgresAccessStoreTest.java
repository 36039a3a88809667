package dev.tasklane.postgres;

import dev.tasklane.spi.AccessStore;
import dev.tasklane.testkit.AccessStoreContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The PostgreSQL server's access store against the contract, on a schema emptied after each test. */
class PostgresAccessStoreTest extends AccessStoreContract {
  @RegisterExtension static final PostgresTestDatabase DB = new PostgresTestDatabase();
  private PostgresTaskStore store;

  @BeforeEach
  void open() {
    store = PostgresTaskStore.open(DB.options());
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
