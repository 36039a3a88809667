package dev.tasklane.cli;

import dev.tasklane.NodeIdInUseException;
import dev.tasklane.StoreException;
import dev.tasklane.TaskRequest;
import dev.tasklane.WorkerConfig;
import dev.tasklane.server.ServerConfig;
import dev.tasklane.server.builtin.BuiltinTasks;
import dev.tasklane.server.webhook.Webhook;
import dev.tasklane.server.webhook.WebhookConfig;
import io.javalin.util.JavalinBindException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import dev.tasklane.server.access.AccessConfig;
import dev.tasklane.server.access.InsecureStartException;
import dev.tasklane.server.net.TlsFiles;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
    description =
        "Run a Tasklane node: HTTP API and worker, on the embedded SQLite store or on PostgreSQL"
            + " shared by a cluster of nodes.",
    footer = {
      "",
      "Each option may also be set by the environment variable shown; a flag wins over it.",
      "Stop with Ctrl-C or SIGTERM: HTTP stops first, running tasks get --shutdown-timeout to finish."
    })
final class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin StoreOptions storeOptions;

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
      names = "--db-pool-size",
      paramLabel = "<n>",
      defaultValue = "10",
      description = "PostgreSQL connections in this node's pool (env TASKLANE_DB_POOL_SIZE, default ${DEFAULT-VALUE}).")
  int dbPoolSize;

  @Option(
      names = "--listen",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Wake on PostgreSQL LISTEN/NOTIFY when work arrives; --no-listen polls only, for poolers"
              + " that drop LISTEN such as PgBouncer in transaction mode (env TASKLANE_LISTEN, default ${DEFAULT-VALUE}).")
  boolean listen;

  @Option(
      names = "--poll-interval",
      paramLabel = "<duration>",
      defaultValue = "1s",
      description = "Longest wait between looks for work when nothing wakes the node (env TASKLANE_POLL_INTERVAL, default ${DEFAULT-VALUE}).")
  Duration pollInterval;

  @Option(
      names = "--leader-timeout",
      paramLabel = "<duration>",
      defaultValue = "15s",
      description =
          "With --store postgres: how soon a silent (frozen) leader's session is ended so another"
              + " node leads maintenance (env TASKLANE_LEADER_TIMEOUT, default ${DEFAULT-VALUE}).")
  Duration leaderTimeout;

  @Option(
      names = "--db-timeout",
      paramLabel = "<duration>",
      defaultValue = "10s",
      description =
          "With --store postgres: the longest any wait on the database lasts (a pooled connection,"
              + " connecting, an answer); past it a call fails and a submission gets 503 instead of"
              + " hanging on a silent network (env TASKLANE_DB_TIMEOUT, default ${DEFAULT-VALUE}).")
  Duration dbTimeout;

  @Option(
      names = "--retention",
      paramLabel = "<duration>",
      defaultValue = "7d",
      description = "How long finished tasks are kept; 0 keeps them forever (env TASKLANE_RETENTION, default ${DEFAULT-VALUE}).")
  Duration retention;

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
          "Tasks of one queue run at once across the whole cluster; repeatable (env TASKLANE_QUEUE_LIMIT as a=2,b=3).")
  Map<String, Integer> queueLimits = new LinkedHashMap<>();

  @Option(
      names = "--node-id",
      paramLabel = "<id>",
      description =
          "This node's name in task leases; keep it stable across restarts (env TASKLANE_NODE_ID,"
              + " default <host>-<pid>-<random>, new at every start).")
  String nodeId;

  @Option(
      names = "--execution-log",
      paramLabel = "<file>",
      description =
          "Append a JSON line to <file> whenever a built-in handler starts and ends (task,"
              + " attempt, fencing token, node, time): an audit of what actually ran, for checking"
              + " delivery (env TASKLANE_EXECUTION_LOG).")
  String executionLog;

  @Option(
      names = "--schedules",
      paramLabel = "<file>",
      description =
          "Define the schedules (recurring tasks) of a JSON file at start, as PUT"
              + " /api/v1/schedules/{name} would: {\"schedules\": [{\"name\": ..., \"cron\": ... or"
              + " \"every\": <seconds>, \"task\": {\"type\": ...}}]} (env TASKLANE_SCHEDULES).")
  Path schedulesFile;

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

  @Option(
      names = "--allowed-host",
      paramLabel = "<name>",
      split = ",",
      description = {
        "A name the Host header may carry; repeat, or separate with commas (env"
            + " TASKLANE_ALLOWED_HOSTS). Default: the loopback names on a loopback bind, any"
            + " name elsewhere."
      })
  List<String> allowedHosts = new ArrayList<>();

  @Option(
      names = "--allowed-origin",
      paramLabel = "<origin>",
      split = ",",
      description = {
        "A web origin whose pages may call the API with a token (CORS); repeat, or separate"
            + " with commas (env TASKLANE_ALLOWED_ORIGINS), e.g.",
        "https://app.example.com"
      })
  List<String> allowedOrigins = new ArrayList<>();

  @Option(
      names = "--tls-cert",
      paramLabel = "<pem>",
      description = "Serve HTTPS (with HTTP/2) with this PEM certificate chain; needs --tls-key (env TASKLANE_TLS_CERT).")
  String tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "<pem>",
      description = "The certificate's unencrypted PEM private key (env TASKLANE_TLS_KEY).")
  String tlsKey;

  @Option(
      names = "--max-queues",
      paramLabel = "<n>",
      defaultValue = "" + ServerConfig.DEFAULT_MAX_QUEUES,
      description = "Most queues clients may create; past it a new queue name gets 422 (env TASKLANE_MAX_QUEUES, default ${DEFAULT-VALUE}).")
  int maxQueues;

  @Option(
      names = "--webhook",
      paramLabel = "<type>=<url>",
      description =
          "A task type whose run is a signed POST of its payload to <url>; repeatable (env"
              + " TASKLANE_WEBHOOKS as a=url,b=url). The host must be in --webhook-allow.")
  List<String> webhooks = new ArrayList<>();

  @Option(
      names = "--webhook-allow",
      paramLabel = "<host[:port]>",
      split = ",",
      description =
          "Destinations webhooks may call: host (ports 80 and 443) or host:port; repeatable (env"
              + " TASKLANE_WEBHOOK_ALLOW).")
  List<String> webhookAllow = new ArrayList<>();

  @Option(
      names = "--webhook-secret",
      paramLabel = "<secret>",
      description =
          "The key of the HMAC-SHA256 signature every webhook call carries, at least 16 characters"
              + " (env TASKLANE_WEBHOOK_SECRET).")
  String webhookSecret;

  @Option(
      names = "--webhook-timeout",
      paramLabel = "<duration>",
      defaultValue = "30s",
      description = "How long one webhook call may take (env TASKLANE_WEBHOOK_TIMEOUT, default ${DEFAULT-VALUE}).")
  Duration webhookTimeout;

  @Option(
      names = "--no-builtin-tasks",
      description =
          "Serve no built-in task type (process_task, debug_task, noop, echo, sleep, fail), and so"
              + " neither /submit-task nor /debug-task: every type is one a remote worker announces"
              + " (env TASKLANE_NO_BUILTIN_TASKS).")
  boolean noBuiltinTasks;

  @Option(
      names = "--metrics-open",
      description = "Serve /metrics without a token (env TASKLANE_METRICS_OPEN).")
  boolean metricsOpen;

  @Option(
      names = "--insecure-open-on-network",
      description =
          "Start on a non-loopback --bind with no token or user configured: ANYBODY who can reach"
              + " the port can then submit, cancel and read tasks (env TASKLANE_INSECURE_OPEN_ON_NETWORK).")
  boolean openOnNetwork;

  private WebhookConfig webhookConfig() {
    if (webhooks.isEmpty()) {
      return WebhookConfig.NONE;
    }
    require(!webhookTimeout.isZero() && !webhookTimeout.isNegative(), "--webhook-timeout must be longer than zero");
    List<Webhook> hooks = new ArrayList<>();
    try {
      for (String spec : webhooks) {
        for (String one : spec.split(",(?=[A-Za-z0-9_.:-]+=)")) {
          Webhook w = Webhook.parse(one);
          hooks.add(new Webhook(w.type(), w.url(), webhookTimeout));
        }
      }
      return new WebhookConfig(hooks, new java.util.HashSet<>(webhookAllow), webhookSecret);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  /** The schedules of {@code --schedules}, read and checked before anything opens. */
  private java.util.List<dev.tasklane.Schedule> schedules() {
    if (schedulesFile == null) {
      return java.util.List.of();
    }
    try {
      return dev.tasklane.server.ScheduleFile.read(schedulesFile);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  private final ShutdownHooks hooks;

  ServeCommand(ShutdownHooks hooks) {
    this.hooks = hooks;
  }

  @Override
  public Integer call() throws InterruptedException {
    ServeSettings settings = settings();
    PrintWriter out = spec.commandLine().getOut();
    // Before the store opens: a taken port or a foreign address must not first migrate a
    // database and announce a node that never serves.
    StartChecks.checkCanListen(settings.bind(), settings.port());
    if (settings.store() instanceof StoreChoice.Sqlite sqlite) {
      StartChecks.checkCanWriteDatabase(sqlite.file());
    }
    ServerNode node;
    try {
      node = ServerNode.start(settings);
    } catch (JavalinBindException e) {
      // Taken between the check above and the server's own bind.
      throw new CommandFailedException(
          ExitCodes.FAILED, StartChecks.listenFailure(settings.bind(), settings.port(), e));
    } catch (java.io.UncheckedIOException e) {
      throw new CommandFailedException(ExitCodes.FAILED, "cannot start: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      // A PEM file that cannot be used: said before anything listens.
      throw new CommandFailedException(ExitCodes.FAILED, "cannot start: " + e.getMessage());
    } catch (InsecureStartException e) {
      throw new CommandFailedException(ExitCodes.FAILED, "cannot start: " + e.getMessage());
    } catch (NodeIdInUseException e) {
      throw new CommandFailedException(ExitCodes.FAILED, "cannot start: " + e.getMessage());
    } catch (dev.tasklane.UnknownTaskTypeException e) {
      // A schedule of --schedules names a type this node does not serve.
      throw new CommandFailedException(ExitCodes.FAILED, "cannot start: a schedule's " + e.getMessage());
    } catch (IllegalStateException | StoreException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED,
          "cannot open the " + settings.store().name() + " store at " + settings.store().location() + ": " + e.getMessage());
    }
    hooks.register("tasklane-shutdown", node::close);
    out.println(
        "Tasklane listening on "
            + node.url()
            + " (store: "
            + settings.store().name()
            + " "
            + settings.store().location()
            + ") as node "
            + settings.nodeId());
    if (node.open()) {
      out.println(
          "No token or user exists yet, so this server answers anyone on this machine. Create the"
              + " first admin token with:\n  ./tasklane token create --name admin --role admin --server "
              + node.url());
    }
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
    StoreChoice storeChoice = storeChoice();
    require(
        concurrency >= 1 && concurrency <= 10_000,
        "--concurrency must be between 1 and 10000, not " + concurrency);
    require(maxQueued >= 1, "--max-queued must be at least 1, not " + maxQueued);
    require(maxQueues >= 1, "--max-queues must be at least 1, not " + maxQueues);
    require(!lease.isZero(), "--lease must be longer than zero");
    require(!pollInterval.isZero(), "--poll-interval must be longer than zero");
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
    String node = nodeId != null ? nodeId : WorkerConfig.uniqueNodeId();
    ServeSettings settings =
        new ServeSettings(
            port,
            bind,
            storeChoice,
            concurrency,
            maxQueued,
            seedTaskDuration,
            queueLimits,
            node,
            shutdownTimeout,
            lease,
            pollInterval,
            retention,
            leaderTimeout,
            executionLog == null || executionLog.isBlank() ? null : Path.of(executionLog),
            accessConfig(),
            tlsFiles(),
            maxQueues,
            !noBuiltinTasks,
            webhookConfig(),
            schedules());
    try {
      // Fails here, before anything is opened, if the worker or server would refuse a value.
      settings.workerConfig();
      settings.serverConfig();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    return settings;
  }

  private TlsFiles tlsFiles() {
    boolean cert = tlsCert != null && !tlsCert.isBlank();
    boolean key = tlsKey != null && !tlsKey.isBlank();
    require(cert == key, "--tls-cert and --tls-key go together: give both, or neither");
    if (!cert) {
      return null;
    }
    for (String file : new String[] {tlsCert, tlsKey}) {
      require(java.nio.file.Files.isReadable(Path.of(file)), "cannot read the TLS file " + file);
    }
    return new TlsFiles(Path.of(tlsCert), Path.of(tlsKey));
  }

  private AccessConfig accessConfig() {
    try {
      return AccessConfig.defaults()
          .withAllowedHosts(allowedHosts)
          .withAllowedOrigins(allowedOrigins)
          .withMetricsOpen(metricsOpen)
          .withOpenOnNetwork(openOnNetwork);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
  }

  private StoreChoice storeChoice() {
    require(dbPoolSize >= 2 && dbPoolSize <= 1000, "--db-pool-size must be between 2 and 1000, not " + dbPoolSize);
    return storeOptions.choice(
        spec, o -> o.withPoolSize(dbPoolSize).withListen(listen).withLeaderTimeout(leaderTimeout).withTimeout(dbTimeout));
  }

  private void require(boolean condition, String message) {
    if (!condition) {
      throw new ParameterException(spec.commandLine(), message);
    }
  }
}
