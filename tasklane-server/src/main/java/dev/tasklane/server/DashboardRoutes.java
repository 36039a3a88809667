package dev.tasklane.server;

import dev.tasklane.Worker;
import dev.tasklane.server.access.AccessControl;
import dev.tasklane.server.access.Permission;
import io.javalin.config.RoutesConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard: its page at {@code /} (scripts and styles under {@code /ui/}, from the jar), the
 * last hour's timeline at {@code /api/v1/stats/timeline}, and {@code /api/v1/events}, a stream of
 * server-sent events that pushes an {@code overview} (queues, nodes, timeline) every {@link
 * #PUSH_INTERVAL} to every open page, so pages update without reloading.
 *
 * <p>One pusher thread for all pages; it reads the store and serialises the overview once per
 * push, however many pages are open, and only while at least one is. Each page's stream is
 * written by a thread of its own ({@link EventStreams}), at most {@code maxEventStreams} at once.
 */
final class DashboardRoutes implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DashboardRoutes.class);
  static final Duration PUSH_INTERVAL = Duration.ofSeconds(1);
  static final String ASSETS = "/dev/tasklane/server/dashboard";

  private final Worker worker;
  private final TasklaneMetrics metrics;
  private final byte[] page;
  private final EventStreams streams;
  private final AccessControl access;
  private final ScheduledExecutorService pusher =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().name("tasklane-dashboard").daemon(true).unstarted(r));

  /** What a page receives: everything the overview shows. */
  record Overview(
      Instant at, List<QueuesView.QueueView> queues, NodesView nodes, TimelineView timeline) {}

  /** The timeline as the API writes it. */
  record TimelineView(long bucketSeconds, List<Timeline.Point> points) {}

  DashboardRoutes(
      Worker worker, TasklaneMetrics metrics, int maxEventStreams, AccessControl access) {
    this.access = access;
    this.worker = worker;
    this.metrics = metrics;
    // A write blocked for two pushes means the page stopped reading.
    this.streams = new EventStreams(maxEventStreams, PUSH_INTERVAL.multipliedBy(2));
    this.page = resource(ASSETS + "/index.html");
    pusher.scheduleWithFixedDelay(
        this::push, PUSH_INTERVAL.toMillis(), PUSH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
  }

  void register(RoutesConfig routes) {
    // The page holds no data (its script asks for it, with the visitor's credentials): public, so
    // that a visitor who is not signed in can be sent to the sign-in page.
    routes.get("/", ctx -> ctx.contentType("text/html; charset=utf-8").result(page), Permission.PUBLIC);
    routes.get(TaskRoutes.API + "/stats/timeline", ctx -> ctx.json(timeline()), Permission.READ);
    // Javalin streams only to a request that accepts event streams, and answers any other with an
    // empty 200; say instead what to send.
    routes.before(
        TaskRoutes.API + "/events",
        ctx -> {
          String accept = ctx.header("Accept");
          if (ctx.method() == io.javalin.http.HandlerType.GET
              && (accept == null || !accept.contains("text/event-stream"))) {
            throw new ClientErrorException(
                406,
                "This is a stream of server-sent events: send 'Accept: text/event-stream'"
                    + " (curl -N -H 'Accept: text/event-stream' ...)");
          }
          if (ctx.method() == io.javalin.http.HandlerType.GET && !streams.hasRoom()) {
            ctx.header("Retry-After", "5");
            throw new ClientErrorException(
                503, "Too many open event streams; try again later");
          }
        });
    routes.sse(
        TaskRoutes.API + "/events",
        client -> {
          client.keepAlive();
          // The first update at once, not a second later.
          streams.open(
              EventStreams.Sink.of(client),
              AccessControl.seesInternals(client.ctx()),
              update(),
              access.stillValid(client.ctx()));
        },
        Permission.READ);
  }

  private TimelineView timeline() {
    return new TimelineView(Timeline.BUCKET.toSeconds(), metrics.timeline().points(Instant.now()));
  }

  Overview overview(boolean internals) {
    Instant now = Instant.now();
    return new Overview(
        now,
        worker.queues().stream().map(QueuesView.QueueView::of).toList(),
        NodesView.of(worker.nodes(), internals),
        timeline());
  }

  /** The overview, read from the store once and serialised once, in parts. */
  private EventStreams.Update update() {
    Overview o = overview(true);
    try {
      var json = ServerJson.MAPPER;
      return new EventStreams.Update(
          json.writeValueAsString(o.at()),
          json.writeValueAsString(o.queues()),
          json.writeValueAsString(o.nodes()),
          json.writeValueAsString(o.nodes().withoutHosts()),
          json.writeValueAsString(o.timeline()));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("the overview always serialises", e);
    }
  }

  private void push() {
    if (streams.size() == 0) {
      return;
    }
    EventStreams.Update u;
    try {
      u = update();
    } catch (RuntimeException e) {
      log.warn("dashboard update failed; pages keep their last view", e);
      return;
    }
    streams.publish(u);
  }

  @Override
  public void close() {
    pusher.shutdownNow();
    streams.close();
  }

  static byte[] resource(String path) {
    try (InputStream in = DashboardRoutes.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("resource " + path + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
