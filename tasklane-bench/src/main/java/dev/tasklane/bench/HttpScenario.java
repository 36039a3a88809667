package dev.tasklane.bench;

import dev.tasklane.QueueStats;
import dev.tasklane.Worker;
import dev.tasklane.server.ServerConfig;
import dev.tasklane.server.TasklaneServer;
import dev.tasklane.server.builtin.BuiltinTasks;
import java.time.Duration;

/**
 * {@code http}: a running node (worker with the built-in types, HTTP server on a random loopback
 * port) in this process, and {@link HttpLoad} sending {@code POST /api/v1/tasks {"type":"noop"}} on
 * {@code connections} keep-alive connections. After a warm-up that is not counted, it counts 202
 * answers for {@link BenchConfig#HTTP_DURATION} (or until {@code tasks} requests were sent), timed
 * from the start of that phase to its last answer. Every other answer is an error. Afterwards the
 * store must hold at least as many tasks as were answered 202 (every 202 durable), or the
 * shortfall counts as errors too.
 */
final class HttpScenario implements ScenarioRunner {
  private static final String HOST = "127.0.0.1";

  @Override
  public Measurement run(RunContext ctx) throws Exception {
    BenchConfig config = ctx.config();
    Worker.Builder builder =
        Worker.builder(ctx.db().open()).config(BenchNodes.config(ctx.nodeId(""), config.concurrency()));
    try (Worker worker = BuiltinTasks.register(builder, BuiltinTasks.DEFAULT_SEED_TASK_DURATION).build()) {
      worker.start();
      ServerConfig serverConfig =
          ServerConfig.defaults().withBindAddress(HOST).withPort(0).withStoreName(config.store().id());
      TasklaneServer server = TasklaneServer.create(worker, serverConfig).start();
      try (HttpLoad load = new HttpLoad(HOST, server.port(), config.connections())) {
        long errors = 0;
        long accepted = 0;
        if (config.warmup().isPositive()) {
          ctx.say("warming up for %s on %d connections", readable(config.warmup()), load.connections());
          HttpLoad.Phase warm = load.run(config.warmup(), Long.MAX_VALUE);
          report(ctx, "warm-up", warm);
          errors += warm.errors();
          accepted += warm.accepted();
        }
        boolean byCount = ctx.tasks() > 0;
        ctx.say(
            "measuring: %s on %d connections",
            byCount ? String.format(java.util.Locale.ROOT, "%,d requests", ctx.tasks()) : readable(BenchConfig.HTTP_DURATION),
            load.connections());
        HttpLoad.Phase measured =
            byCount
                ? load.run(Duration.ofDays(1), ctx.tasks())
                : load.run(BenchConfig.HTTP_DURATION, Long.MAX_VALUE);
        report(ctx, "measured", measured);
        errors += measured.errors();
        accepted += measured.accepted();
        int opened = load.timesOpened();
        ctx.say(
            "%d connections held open throughout%s",
            load.connections(),
            opened == load.connections() ? "" : " (" + (opened - load.connections()) + " reconnections)");
        long stored = worker.queues().stream().mapToLong(QueueStats::total).sum();
        if (stored < accepted) {
          ctx.say("only %,d tasks in the store after %,d answers 202: %,d missing", stored, accepted, accepted - stored);
          errors += accepted - stored;
        } else {
          ctx.say("all %,d tasks answered 202 are in the store", accepted);
        }
        return new Measurement(measured.accepted(), measured.seconds(), measured.latency(), errors);
      } finally {
        server.stop();
      }
    }
  }

  private static void report(RunContext ctx, String phase, HttpLoad.Phase p) {
    ctx.say(
        "%s: %,d answered 202 in %.1f s%s",
        phase,
        p.accepted(),
        p.seconds(),
        p.errors() == 0 ? "" : ", " + p.errors() + " errors " + p.errorKinds());
  }

  private static String readable(Duration d) {
    return d.toMillisPart() == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
  }
}
