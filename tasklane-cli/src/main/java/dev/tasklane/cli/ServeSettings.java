package dev.tasklane.cli;

import dev.tasklane.WorkerConfig;
import dev.tasklane.server.ServerConfig;
import dev.tasklane.server.access.AccessConfig;
import dev.tasklane.server.net.TlsFiles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import dev.tasklane.server.webhook.WebhookConfig;
import java.util.Objects;

/**
 * Everything {@code tasklane serve} was told, resolved from flags, environment and defaults; the
 * one place where CLI settings become core and server configuration.
 *
 * @param port HTTP port; 0 picks a free one
 * @param bind address to listen on
 * @param store which store, and where
 * @param concurrency tasks run at once on this node
 * @param maxQueued backlog bound per queue
 * @param seedTaskDuration how long the seed's {@code process_task} takes
 * @param queueLimits per-queue concurrency limits
 * @param nodeId this node's name in leases
 * @param shutdownTimeout how long running tasks get to finish on shutdown
 * @param lease how long a claim holds a task without renewal
 * @param pollInterval longest wait between looks for work when nothing wakes the node
 * @param retention how long finished tasks are kept; zero keeps them forever
 * @param leaderTimeout how long a silent leader keeps the lead (PostgreSQL)
 * @param executionLog where the built-in handlers append their starts and ends, or {@code null}
 * @param schedules schedules to define at start ({@code --schedules})
 */
record ServeSettings(
    int port,
    String bind,
    StoreChoice store,
    int concurrency,
    long maxQueued,
    Duration seedTaskDuration,
    Map<String, Integer> queueLimits,
    String nodeId,
    Duration shutdownTimeout,
    Duration lease,
    Duration pollInterval,
    Duration retention,
    Duration leaderTimeout,
    Path executionLog,
    AccessConfig access,
    TlsFiles tls,
    int maxQueues,
    boolean builtinTasks,
    WebhookConfig webhooks,
    java.util.List<dev.tasklane.Schedule> schedules) {

  ServeSettings {
    Objects.requireNonNull(bind, "bind");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(leaderTimeout, "leaderTimeout");
    Objects.requireNonNull(seedTaskDuration, "seedTaskDuration");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    Objects.requireNonNull(lease, "lease");
    queueLimits = Map.copyOf(queueLimits == null ? Map.of() : queueLimits);
    schedules = java.util.List.copyOf(schedules == null ? java.util.List.of() : schedules);
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
            .pollInterval(pollInterval)
            .retention(retention)
            // The leader confirms its lead at every maintenance tick: tick well within the
            // timeout, or a live leader's session would be ended as if it were frozen.
            .reapInterval(min(WorkerConfig.DEFAULT_REAP_INTERVAL, leaderTimeout.dividedBy(3)))
            .shutdownTimeout(shutdownTimeout);
    queueLimits.forEach(b::queueLimit);
    return b.build();
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /**
   * @throws IllegalArgumentException if the port or address is invalid
   */
  ServerConfig serverConfig() {
    return ServerConfig.defaults()
        .withBindAddress(bind)
        .withPort(port)
        .withStoreName(store.name())
        .withAccess(access)
        .withTls(tls)
        .withMaxQueues(maxQueues);
  }
}
