package dev.tasklane.sqlite;

import dev.tasklane.spi.TaskStore;
import dev.tasklane.testkit.WorkerContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The engine's behaviour on the embedded store: a real SQLite file per test. */
class SqliteWorkerTest extends WorkerContract {
  @TempDir Path dir;

  @Override
  protected TaskStore openStore() {
    return SqliteTaskStore.open(dir.resolve("worker.db"));
  }
}
