package dev.tasklane.postgres;

import dev.tasklane.spi.TaskStore;
import dev.tasklane.testkit.RateStoreContract;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The PostgreSQL server's rate limits against the contract, on a schema emptied after each test. */
class PostgresRateStoreTest extends RateStoreContract {
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
  protected TaskStore store() {
    return store;
  }
}
