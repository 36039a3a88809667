package dev.tasklane.server;

import dev.tasklane.Worker;
import dev.tasklane.server.access.AccessControl;
import dev.tasklane.server.net.Connectors;
import dev.tasklane.spi.AccessStore;
import io.javalin.Javalin;
import io.javalin.json.JavalinJackson;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasklane's HTTP API over a {@link Worker}: the seed article's {@code POST /submit-task} and
 * {@code POST /debug-task}, the task API under {@code /api/v1}, and {@code GET /health}.
 *
 * <pre>{@code
 * Worker worker = BuiltinTasks.register(Worker.builder(store), Duration.ofSeconds(2)).build();
 * worker.start();
 * TasklaneServer server =
 *     TasklaneServer.create(worker, ServerConfig.defaults().withStoreName("sqlite")).start();
 * ...
 * server.stop();   // stop HTTP first, then close the worker, then the store
 * }</pre>
 *
 * <p>Requests are served on virtual threads. Errors are JSON in FastAPI's shape (see {@link
 * ErrorMapping}). The server neither starts nor closes the worker: the caller owns both and
 * decides the shutdown order.
 */
public final class TasklaneServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TasklaneServer.class);

  private enum State {
    NEW,
    STARTED,
    STOPPED
  }

  private final Javalin app;
  private final ServerConfig config;
  private final AtomicReference<State> state = new AtomicReference<>(State.NEW);

  private final List<String> routes;

  private final DashboardRoutes dashboard;
  private final AccessControl access;
  private final Connectors connectors;

  private TasklaneServer(
      Javalin app,
      ServerConfig config,
      List<String> routes,
      DashboardRoutes dashboard,
      AccessControl access,
      Connectors connectors) {
    this.connectors = connectors;
    this.app = app;
    this.config = config;
    this.routes = routes;
    this.dashboard = dashboard;
    this.access = access;
  }

  /** Who may act on this server: its tokens, users and audit log. */
  public AccessControl access() {
    return access;
  }

  /** Every route the server serves, as {@code "GET /api/v1/tasks/{task_id}"}. */
  List<String> routes() {
    return routes;
  }

  /**
   * Builds the server; nothing listens until {@link #start()}. The seed endpoints are served only
   * if the worker has {@code process_task} and {@code debug_task} registered ({@link
   * dev.tasklane.server.builtin.BuiltinTasks}).
   */
  public static TasklaneServer create(Worker worker, ServerConfig config) {
    return create(worker, config, new TasklaneMetrics());
  }

  /**
   * {@link #create(Worker, ServerConfig)} serving {@code metrics} at {@code /metrics}. Build the
   * worker with {@code metrics} as its listener, or only the gauges move.
   */
  public static TasklaneServer create(Worker worker, ServerConfig config, TasklaneMetrics metrics) {
    return create(worker, config, metrics, null);
  }

  /**
   * {@link #create(Worker, ServerConfig, TasklaneMetrics)} keeping tokens, users, sessions and the
   * audit log in {@code accessStore} (the task store's, e.g. {@code
   * SqliteTaskStore.accessStore()}): requests then need a credential once one exists. With {@code
   * null} the server keeps none and runs open, which it does only on loopback unless {@link
   * dev.tasklane.server.access.AccessConfig#openOnNetwork()}.
   */
  public static TasklaneServer create(
      Worker worker, ServerConfig config, TasklaneMetrics metrics, AccessStore accessStore) {
    Objects.requireNonNull(worker, "worker");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(metrics, "metrics");
    // The PEM files first: a bad one fails here, before any thread is started.
    Connectors connectors = new Connectors(config.headerTimeout(), config.tls());
    metrics.bind(worker);
    AccessControl access =
        new AccessControl(
            accessStore, config.access(), isLoopback(config.bindAddress()), config.bindAddress());
    TaskRoutes routes = new TaskRoutes(worker, config.storeName(), metrics, access, config.maxQueues());
    ScheduleRoutes scheduleRoutes = new ScheduleRoutes(worker, access);
    RateLimitRoutes rateLimitRoutes = new RateLimitRoutes(worker, access);
    AccessRoutes accessRoutes = new AccessRoutes(access);
    WorkerRoutes workerRoutes = new WorkerRoutes(worker.remoteWorkers(), access);
    ApiDocs docs = new ApiDocs();
    DashboardRoutes dashboard = new DashboardRoutes(worker, metrics, config.maxEventStreams(), access);
    List<String> registered = new java.util.concurrent.CopyOnWriteArrayList<>();
    Javalin app =
        Javalin.create(
            c -> {
              c.startup.showJavalinBanner = false;
              c.startup.showOldJavalinVersionWarning = false;
              c.concurrency.useVirtualThreads = true;
              c.jetty.host = config.bindAddress();
              c.jetty.port = config.port();
              c.jetty.addConnector(
                  (server, http) ->
                      connectors.connector(server, http, config.bindAddress(), config.port()));
              c.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
              c.http.maxRequestSize = config.maxRequestBytes();
              // FastAPI answers a known path with the wrong method 405, not 404.
              c.http.prefer405over404 = true;
              c.jsonMapper(new JavalinJackson(ServerJson.MAPPER, true));
              c.requestLogger.http(
                  (ctx, ms) -> {
                    if (log.isDebugEnabled()) {
                      log.debug(
                          "{} {} -> {} in {} ms",
                          ctx.method(),
                          ctx.path(),
                          ctx.statusCode(),
                          String.format(Locale.ROOT, "%.1f", ms));
                    }
                  });
              c.staticFiles.enableWebjars();
              c.staticFiles.add(
                  files -> {
                    files.hostedPath = "/ui";
                    files.directory = DashboardRoutes.ASSETS;
                    files.location = io.javalin.http.staticfiles.Location.CLASSPATH;
                  });
              c.events.handlerAdded(
                  h -> {
                    if (h.getHttpMethod().isHttpMethod()) {
                      registered.add(h.getHttpMethod().name() + " " + h.getPath());
                    }
                  });
              ErrorMapping.install(c, config.maxRequestBytes());
              access.install(c.routes);
              accessRoutes.register(c.routes);
              routes.register(c.routes);
              scheduleRoutes.register(c.routes);
              rateLimitRoutes.register(c.routes);
              workerRoutes.register(c.routes);
              docs.register(c.routes);
              dashboard.register(c.routes);
            });
    return new TasklaneServer(app, config, List.copyOf(registered), dashboard, access, connectors);
  }

  /**
   * Starts listening.
   *
   * @return this server
   * @throws IllegalStateException if already started or stopped, or if it would listen beyond
   *     loopback with no credential to ask for (see {@link AccessControl#checkCanStart})
   * @throws io.javalin.util.JavalinBindException if the address or port cannot be bound
   */
  public TasklaneServer start() {
    access.checkCanStart(config.bindAddress());
    if (!state.compareAndSet(State.NEW, State.STARTED)) {
      throw new IllegalStateException(
          "server is " + state.get().name().toLowerCase(Locale.ROOT) + ", not new");
    }
    app.start();
    log.debug("HTTP API listening on {}", url());
    if (access.open() && !isLoopback(config.bindAddress())) {
      log.warn(
          "OPEN ON THE NETWORK: the server listens on {} without authentication; anybody who can"
              + " reach it can submit, cancel and read tasks",
          config.bindAddress());
    }
    return this;
  }

  /**
   * Stops listening; requests in flight are completed by Jetty's graceful stop. Idempotent; a
   * server that never started just becomes stopped.
   */
  public void stop() {
    State previous = state.getAndSet(State.STOPPED);
    dashboard.close(); // open event streams would otherwise hold Jetty's stop
    access.close();
    connectors.close();
    if (previous == State.STARTED) {
      app.stop();
    }
  }

  private static boolean isLoopback(String address) {
    try {
      return InetAddress.getByName(address).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false; // Jetty resolved it a moment ago; if it cannot now, warn rather than stay quiet
    }
  }

  /** Same as {@link #stop()}. */
  @Override
  public void close() {
    stop();
  }

  /**
   * The port it listens on: the configured one, or the one picked for port 0.
   *
   * @throws IllegalStateException if not started
   */
  public int port() {
    if (state.get() != State.STARTED) {
      throw new IllegalStateException("server is not running");
    }
    return app.port();
  }

  /**
   * {@code http://<bind address>:<port>} ({@code https://} with TLS), as a client on this host
   * would call it.
   */
  public String url() {
    String host = config.bindAddress();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]"; // an IPv6 literal
    }
    return (config.tls() == null ? "http://" : "https://") + host + ":" + port();
  }

  /** What it was created with; {@link #port()} tells the port picked for port 0. */
  public ServerConfig config() {
    return config;
  }
}
