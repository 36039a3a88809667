package dev.tasklane.postgres;

import dev.tasklane.spi.TaskStore;
import dev.tasklane.testkit.WorkerContract;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine's behaviour on the cluster store: a real PostgreSQL schema per class, emptied after
 * each test. A second node is a second store on the same schema, with its own pool, listener and
 * election.
 */
class PostgresWorkerTest extends WorkerContract {
  @RegisterExtension static final PostgresTestDatabase DB = new PostgresTestDatabase();

  @Override
  protected TaskStore openStore() {
    return PostgresTaskStore.open(DB.options());
  }

  @Override
  protected TaskStore openAnotherHandle() {
    return PostgresTaskStore.open(DB.options());
  }
}
