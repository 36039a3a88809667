package dev.tasklane.cli;

import dev.tasklane.WorkerConfig;
import dev.tasklane.server.ServerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Everything {@code tasklane serve} was told, resolved from flags, environment and defaults; the
 * one place where CLI settings become core and server configuration.
 *
 * @param port HTTP port; 0 picks a free one
 * @param bind address to listen on
 * @param db the SQLite database file
 * @param concurrency tasks run at once on this node
 * @param maxQueued backlog bound per queue
 * @param seedTaskDuration how long the seed's {@code process_task} takes
 * @param queueLimits per-queue concurrency limits
 * @param nodeId this node's name in leases
 * @param shutdownTimeout how long running tasks get to finish on shutdown
 * @param lease how long a claim holds a task without renewal
 */
record ServeSettings(
    int port,
    String bind,
    Path db,
    int concurrency,
    long maxQueued,
    Duration seedTaskDuration,
    Map<String, Integer> queueLimits,
    String nodeId,
    Duration shutdownTimeout,
    Duration lease) {

  /** What {@code GET /health} and the start-up line call the store. */
  static final String STORE_NAME = "sqlite";

  ServeSettings {
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(seedTaskDuration, "seedTaskDuration");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    Objects.requireNonNull(lease, "lease");
    queueLimits = Map.copyOf(queueLimits == null ? Map.of() : queueLimits);
  }

  /**
   * @throws IllegalArgumentException if a value is outside what the worker accepts
   */
  WorkerConfig workerConfig() {
    WorkerConfig.Builder b =
        WorkerConfig.builder()
            .nodeId(nodeId)
            .concurrency(concurrency)
            .maxQueued(maxQueued)
            .leaseDuration(lease)
            .shutdownTimeout(shutdownTimeout);
    queueLimits.forEach(b::queueLimit);
    return b.build();
  }

  /**
   * @throws IllegalArgumentException if the port or address is invalid
   */
  ServerConfig serverConfig() {
    return ServerConfig.defaults().withBindAddress(bind).withPort(port).withStoreName(STORE_NAME);
  }
}
