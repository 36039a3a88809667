package dev.tasklane.testkit;

import dev.tasklane.spi.TaskStore;
import dev.tasklane.testing.InMemoryTaskStore;
import java.time.InstantSource;

/**
 * The engine's tests run against {@link InMemoryTaskStore}; this holds it to the same contract as
 * the SQL stores, so what those tests prove holds for a real store too.
 */
class InMemoryTaskStoreTest extends TaskStoreContract {
  private InMemoryTaskStore db;

  @Override
  protected TaskStore openStore() {
    if (db == null) {
      db = new InMemoryTaskStore(clock);
    } else {
      db.reopen(); // reopening a database keeps its data
    }
    return db;
  }

  @Override
  protected TaskStore openStoreOnTheDatabasesClock() {
    return new InMemoryTaskStore(InstantSource.system());
  }
}
