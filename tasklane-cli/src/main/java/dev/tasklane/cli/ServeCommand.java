package dev.tasklane.cli;

import dev.tasklane.StoreException;
import dev.tasklane.TaskRequest;
import dev.tasklane.WorkerConfig;
import dev.tasklane.server.ServerConfig;
import dev.tasklane.server.builtin.BuiltinTasks;
import io.javalin.util.JavalinBindException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tasklane serve}: runs a node (SQLite store, worker, HTTP API) until SIGTERM or Ctrl-C,
 * then shuts down gracefully.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Run the Tasklane server: HTTP API and worker over a SQLite database.",
    footer = {
      "",
      "Each option may also be set by the environment variable shown; a flag wins over it.",
      "Stop with Ctrl-C or SIGTERM: HTTP stops first, running tasks get --shutdown-timeout to finish."
    })
final class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--port",
      paramLabel = "<port>",
      defaultValue = "" + ServerConfig.DEFAULT_PORT,
      description = "HTTP port; 0 picks a free one (env TASKLANE_PORT, default ${DEFAULT-VALUE}).")
  int port;

  @Option(
      names = "--bind",
      paramLabel = "<address>",
      defaultValue = ServerConfig.DEFAULT_BIND_ADDRESS,
      description = "Address to listen on (env TASKLANE_BIND, default ${DEFAULT-VALUE}).")
  String bind;

  @Option(
      names = "--db",
      paramLabel = "<file>",
      defaultValue = "./tasklane-data/tasklane.db",
      description = "SQLite database file, created if missing (env TASKLANE_DB, default ${DEFAULT-VALUE}).")
  String db;

  @Option(
      names = "--concurrency",
      paramLabel = "<n>",
      defaultValue = "" + WorkerConfig.DEFAULT_CONCURRENCY,
      description = "Tasks run at once (env TASKLANE_CONCURRENCY, default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--max-queued",
      paramLabel = "<n>",
      defaultValue = "" + WorkerConfig.DEFAULT_MAX_QUEUED,
      description =
          "Tasks waiting per queue before submissions get 429 (env TASKLANE_MAX_QUEUED, default ${DEFAULT-VALUE}).")
  long maxQueued;

  @Option(
      names = "--seed-task-duration",
      paramLabel = "<duration>",
      defaultValue = "2s",
      description =
          "How long process_task takes: 2s, 500ms, 1m, PT2S or seconds (env TASKLANE_SEED_TASK_DURATION, default ${DEFAULT-VALUE}).")
  Duration seedTaskDuration;

  @Option(
      names = "--queue-limit",
      paramLabel = "<queue>=<n>",
      split = ",",
      description =
          "Tasks of one queue run at once; repeatable (env TASKLANE_QUEUE_LIMIT as a=2,b=3).")
  Map<String, Integer> queueLimits = new LinkedHashMap<>();

  @Option(
      names = "--node-id",
      paramLabel = "<id>",
      description = "This node's name in task leases; keep it stable across restarts (env TASKLANE_NODE_ID, default <hostname>:<port>).")
  String nodeId;

  @Option(
      names = "--shutdown-timeout",
      paramLabel = "<duration>",
      defaultValue = "30s",
      description = "How long running tasks get to finish on shutdown (env TASKLANE_SHUTDOWN_TIMEOUT, default ${DEFAULT-VALUE}).")
  Duration shutdownTimeout;

  @Option(
      names = "--lease",
      paramLabel = "<duration>",
      defaultValue = "30s",
      description = "How long a running task's claim lasts without renewal (env TASKLANE_LEASE, default ${DEFAULT-VALUE}).")
  Duration lease;

  private final ShutdownHooks hooks;

  ServeCommand(ShutdownHooks hooks) {
    this.hooks = hooks;
  }

  @Override
  public Integer call() throws InterruptedException {
    ServeSettings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    ServerNode node;
    try {
      node = ServerNode.start(settings);
    } catch (JavalinBindException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED,
          "cannot listen on "
              + settings.bind()
              + ":"
              + settings.port()
              + " ("
              + e.getMessage()
              + "); is another server running there? Choose another --port.");
    } catch (IllegalStateException | StoreException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED, "cannot open the database " + db + ": " + e.getMessage());
    }
    hooks.register("tasklane-shutdown", node::close);
    out.println(
        "Tasklane listening on "
            + node.url()
            + " (store: "
            + ServeSettings.STORE_NAME
            + " "
            + db
            + ")");
    out.flush();
    node.awaitStopped();
    return ExitCodes.OK;
  }

  /**
   * Checks and resolves the options.
   *
   * @throws ParameterException naming the flag, for a value out of range
   */
  ServeSettings settings() {
    require(port >= 0 && port <= 65_535, "--port must be between 0 and 65535, not " + port);
    require(!bind.isBlank(), "--bind must not be empty");
    require(!db.isBlank(), "--db must not be empty");
    require(
        concurrency >= 1 && concurrency <= 10_000,
        "--concurrency must be between 1 and 10000, not " + concurrency);
    require(maxQueued >= 1, "--max-queued must be at least 1, not " + maxQueued);
    require(!lease.isZero(), "--lease must be longer than zero");
    queueLimits.forEach(
        (queue, limit) -> {
          require(
              TaskRequest.NAME.matcher(queue).matches(),
              "--queue-limit: '" + queue + "' is not a queue name (letters, digits, _ . : -)");
          require(limit != null && limit >= 1, "--queue-limit " + queue + " must be at least 1");
        });
    require(
        seedTaskDuration.compareTo(BuiltinTasks.MAX_SLEEP) <= 0,
        "--seed-task-duration must be at most " + BuiltinTasks.MAX_SLEEP.toHours() + "h");
    String node = nodeId != null ? nodeId : defaultNodeId(port);
    ServeSettings settings =
        new ServeSettings(
            port,
            bind,
            Path.of(db),
            concurrency,
            maxQueued,
            seedTaskDuration,
            queueLimits,
            node,
            shutdownTimeout,
            lease);
    try {
      // Fails here, before anything is opened, if the worker or server would refuse a value.
      settings.workerConfig();
      settings.serverConfig();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    return settings;
  }

  /**
   * {@code <hostname>:<port>}: stable across restarts, so a restarted node reclaims its own
   * leases at once. With port 0 the port is not known yet and two such nodes on one host must
   * not share an id (each would take the other's tasks back at start), so the process id stands
   * in for it.
   */
  static String defaultNodeId(int port) {
    String host = WorkerConfig.hostName();
    return host + ":" + (port == 0 ? "pid" + ProcessHandle.current().pid() : Integer.toString(port));
  }

  private void require(boolean condition, String message) {
    if (!condition) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }
}
