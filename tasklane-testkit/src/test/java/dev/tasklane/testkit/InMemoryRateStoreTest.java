package dev.tasklane.testkit;

import dev.tasklane.spi.TaskStore;
import dev.tasklane.testing.InMemoryTaskStore;
import java.time.InstantSource;

/** The in-memory store's rate limits, held to the same contract as the SQL stores'. */
class InMemoryRateStoreTest extends RateStoreContract {
  private final InMemoryTaskStore store = new InMemoryTaskStore(InstantSource.system());

  @Override
  protected TaskStore store() {
    return store;
  }
}
