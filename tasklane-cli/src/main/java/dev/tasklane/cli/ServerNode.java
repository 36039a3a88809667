package dev.tasklane.cli;

import dev.tasklane.Worker;
import dev.tasklane.jdbc.ConnectionPools;
import dev.tasklane.server.TasklaneMetrics;
import dev.tasklane.server.TasklaneServer;
import dev.tasklane.server.builtin.BuiltinTasks;
import dev.tasklane.server.webhook.WebhookTasks;
import dev.tasklane.server.builtin.ExecutionLog;
import dev.tasklane.spi.TaskStore;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Tasklane node: store, worker and HTTP server, started and stopped in the one order that
 * loses nothing.
 *
 * <p>Start: open the store, build and start the worker, then open HTTP, so the API never accepts
 * work that nothing would run. Stop: close HTTP first (no new submissions), then the worker
 * (running tasks get the shutdown timeout to finish; the rest go back to {@code queued}), then the
 * store (SQLite checkpoints its write-ahead log; PostgreSQL's pool and listener close).
 */
final class ServerNode implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServerNode.class);

  private final TaskStore store;
  private final Worker worker;
  private final ExecutionLog executionLog;
  private final TasklaneServer server;
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CountDownLatch stopped = new CountDownLatch(1);

  private ServerNode(
      TaskStore store, Worker worker, TasklaneServer server, ExecutionLog executionLog) {
    this.executionLog = executionLog;
    this.store = store;
    this.worker = worker;
    this.server = server;
  }

  /**
   * Starts a node; on failure, whatever was already started is stopped again.
   *
   * @throws IllegalArgumentException if the settings are invalid (checked before anything opens)
   * @throws IllegalStateException if another process has the database open
   * @throws dev.tasklane.StoreException if the database cannot be opened or migrated
   * @throws io.javalin.util.JavalinBindException if the address or port cannot be bound
   */
  static ServerNode start(ServeSettings settings) {
    var workerConfig = settings.workerConfig();
    var serverConfig = settings.serverConfig();
    TaskStore store = settings.store().open();
    Worker worker = null;
    ExecutionLog executionLog = ExecutionLog.NONE;
    try {
      if (settings.executionLog() != null) {
        executionLog = ExecutionLog.appendingTo(settings.executionLog());
      }
      TasklaneMetrics metrics = new TasklaneMetrics();
      if (store instanceof ConnectionPools pools) {
        pools.connectionPools().forEach(pool -> pool.setMetricRegistry(metrics.registry()));
      }
      Worker.Builder builder = Worker.builder(store).config(workerConfig).listener(metrics);
      if (settings.builtinTasks()) {
        BuiltinTasks.register(builder, settings.seedTaskDuration(), executionLog);
      }
      WebhookTasks.register(builder, settings.webhooks());
      settings.schedules().forEach(builder::schedule);
      worker = builder.build();
      // --queue-limit is a cluster-wide limit: written to the store, it binds every node.
      for (var limit : settings.queueLimits().entrySet()) {
        worker.setQueueLimit(limit.getKey(), limit.getValue());
      }
      worker.start();
      TasklaneServer server =
          TasklaneServer.create(
                  worker, serverConfig, metrics, settings.store().accessStore(store))
              .start();
      return new ServerNode(store, worker, server, executionLog);
    } catch (RuntimeException | Error e) {
      if (worker != null) {
        worker.close();
      }
      store.close();
      executionLog.close();
      throw e;
    }
  }

  /** The URL clients call, e.g. {@code http://127.0.0.1:8000}. */
  String url() {
    return server.url();
  }

  int port() {
    return server.port();
  }

  Worker worker() {
    return worker;
  }

  /** Whether the server answers without a credential (loopback, none configured yet). */
  boolean open() {
    return server.access().open();
  }

  /** Stops HTTP, drains the worker, closes the store. Idempotent; later calls return at once. */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    try {
      log.info(
          "Shutting down: closing HTTP, then letting running tasks finish (up to {})",
          readable(worker.config().shutdownTimeout()));
      try {
        server.stop();
      } finally {
        try {
          worker.close();
        } finally {
          store.close();
          executionLog.close();
        }
      }
      log.info("Tasklane stopped");
    } finally {
      stopped.countDown();
    }
  }

  /** {@code 30s} or {@code 1500ms}, rather than ISO's {@code PT30S}. */
  private static String readable(java.time.Duration d) {
    return d.toNanosPart() == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  /** Blocks until {@link #close()} has finished. */
  void awaitStopped() throws InterruptedException {
    stopped.await();
  }
}
