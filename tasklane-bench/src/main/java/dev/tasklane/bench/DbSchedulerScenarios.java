package dev.tasklane.bench;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.event.AbstractSchedulerListener;
import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import javax.sql.DataSource;

/**
 * db-scheduler's side of {@code --compare db-scheduler}: the scenarios it has a counterpart of,
 * written as its documentation tells a user to write them. A one-time task {@code noop} with an
 * empty handler; its table {@code scheduled_tasks} created from the DDL its documentation gives
 * for PostgreSQL, in the run's fresh schema; a HikariCP pool of {@code --db-pool-size}
 * connections (Tasklane's store has a pool of the same size); {@code --concurrency} executor
 * threads; every other setting at its default, except immediate execution in {@code latency},
 * which is what its documentation recommends for a low time to start.
 *
 * <p>Completions are counted by a {@code SchedulerListener} at {@code onExecutionComplete}, which
 * db-scheduler calls after the completion handler has removed the finished execution, as
 * Tasklane's counters count a run once its outcome is written.
 */
final class DbSchedulerScenarios {
  private static final String NOOP = "noop";

  /** db-scheduler's table for PostgreSQL, as its documentation gives it (with its indexes). */
  private static final String DDL =
      """
      CREATE TABLE scheduled_tasks (
        task_name text NOT NULL,
        task_instance text NOT NULL,
        task_data bytea,
        execution_time timestamp with time zone NOT NULL,
        picked boolean NOT NULL,
        picked_by text,
        last_success timestamp with time zone,
        last_failure timestamp with time zone,
        consecutive_failures int,
        last_heartbeat timestamp with time zone,
        version bigint NOT NULL,
        priority smallint,
        PRIMARY KEY (task_name, task_instance)
      );
      CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time);
      CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat);
      CREATE INDEX priority_execution_time_idx ON scheduled_tasks (priority DESC, execution_time ASC);
      """;

  private DbSchedulerScenarios() {}

  /** db-scheduler's runner of {@code scenario}, if it has a counterpart. */
  static Optional<ScenarioRunner> of(Scenario scenario) {
    return switch (scenario) {
      case DRAIN, BACKLOG -> Optional.of(DbSchedulerScenarios::drain);
      case ENQUEUE_SERIAL -> Optional.of(EnqueueScenario.serial(Producer::open));
      case ENQUEUE_SINGLE -> Optional.of(EnqueueScenario.single(Producer::open));
      case ENQUEUE_BATCH -> Optional.of(EnqueueScenario.batches(Producer::open));
      case ENQUEUE_BULK -> Optional.of(EnqueueScenario.bulk(Producer::open));
      case LATENCY -> Optional.of(DbSchedulerScenarios::latency);
      // No HTTP API, no remote workers.
      // db-scheduler has no rate limits to compare with.
      case HTTP, REMOTE_DRAIN, REMOTE_DRAIN_PYTHON, REMOTE_LATENCY, DRAIN_RATE_LIMITED -> Optional.empty();
    };
  }

  /** The run's pool, with db-scheduler's table created in the run's schema. */
  private static DataSource database(RunContext ctx) {
    DataSource ds = ctx.db().peerDataSource(ctx.config().dbPoolSize());
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute(DDL);
    } catch (SQLException e) {
      throw new BenchException("cannot create db-scheduler's table: " + e.getMessage(), e);
    }
    return ds;
  }

  private static OneTimeTask<Void> noop(Map<Object, Long> starts) {
    return Tasks.oneTime(NOOP)
        .execute(
            (instance, context) -> {
              if (starts != null) {
                starts.putIfAbsent(instance.getId(), System.nanoTime());
              }
            });
  }

  private static TaskInstance<?> newInstance(OneTimeTask<Void> task) {
    return task.instance(UUID.randomUUID().toString());
  }

  /** Counts executions that completed successfully. */
  private static final class Completions extends AbstractSchedulerListener {
    final LongAdder ok = new LongAdder();
    final LongAdder failed = new LongAdder();

    @Override
    public void onExecutionComplete(ExecutionComplete complete) {
      if (complete.getResult() == ExecutionComplete.Result.OK) {
        ok.increment();
      } else {
        failed.increment();
      }
    }

    long all() {
      return ok.sum() + failed.sum();
    }
  }

  /** N executions scheduled first (not timed, in batches), then one scheduler runs them all. */
  private static Measurement drain(RunContext ctx) {
    int n = ctx.tasks();
    DataSource ds = database(ctx);
    OneTimeTask<Void> task = noop(null);
    SchedulerClient client = SchedulerClient.Builder.create(ds, task).build();
    long seedStart = System.nanoTime();
    for (int done = 0; done < n; ) {
      int size = Math.min(BenchConfig.BATCH_SIZE, n - done);
      client.scheduleBatch(Stream.<TaskInstance<?>>generate(() -> newInstance(task)).limit(size), Instant.now());
      done += size;
    }
    ctx.say("seeded %,d executions in %.1f s (not timed)", n, BenchNodes.seconds(seedStart, System.nanoTime()));
    Completions completions = new Completions();
    Scheduler scheduler =
        Scheduler.create(ds, task)
            .threads(ctx.config().concurrency())
            .addSchedulerListener(completions)
            .build();
    ctx.say("draining %,d executions with %d threads", n, ctx.config().concurrency());
    long start = System.nanoTime();
    scheduler.start();
    try {
      long end = BenchNodes.awaitCount(completions::all, n, ctx);
      return new Measurement(completions.ok.sum(), BenchNodes.seconds(start, end), null, completions.failed.sum());
    } finally {
      scheduler.stop();
    }
  }

  /**
   * One scheduler with immediate execution, one {@code schedule(instance, now)} every 20 ms from
   * the same process: the call's return to the handler's start.
   */
  private static Measurement latency(RunContext ctx) throws InterruptedException {
    int n = ctx.tasks();
    DataSource ds = database(ctx);
    Map<Object, Long> starts = new ConcurrentHashMap<>(2 * n);
    OneTimeTask<Void> task = noop(starts);
    Completions completions = new Completions();
    Scheduler scheduler =
        Scheduler.create(ds, task)
            .threads(ctx.config().concurrency())
            .enableImmediateExecution()
            .addSchedulerListener(completions)
            .build();
    scheduler.start();
    try {
      Thread.sleep(Duration.ofSeconds(1));
      FixedRate.Submit submit =
          () -> {
            String id = UUID.randomUUID().toString();
            scheduler.schedule(task.instance(id), Instant.now());
            return id;
          };
      Measurement m =
          FixedRate.measure(
              ctx, submit, completions::all, starts, "schedule() calls", "immediate execution, one process");
      return new Measurement(m.tasks(), m.seconds(), m.latency(), m.errors() + completions.failed.sum());
    } finally {
      scheduler.stop();
    }
  }

  /** The submitting side: a {@code SchedulerClient}, as a service that only schedules holds one. */
  private static final class Producer implements dev.tasklane.bench.Producer {
    private final SchedulerClient client;
    private final OneTimeTask<Void> task;

    private Producer(SchedulerClient client, OneTimeTask<Void> task) {
      this.client = client;
      this.task = task;
    }

    static dev.tasklane.bench.Producer open(RunContext ctx) {
      DataSource ds = database(ctx);
      OneTimeTask<Void> task = noop(null);
      return new Producer(SchedulerClient.Builder.create(ds, task).build(), task);
    }

    @Override
    public void submitOne() {
      client.schedule(newInstance(task), Instant.now());
    }

    @Override
    public void submitMany(int n) {
      client.scheduleBatch(Stream.<TaskInstance<?>>generate(() -> newInstance(task)).limit(n), Instant.now());
    }

    /** {@code scheduleBatch} takes a stream too: the same call. */
    @Override
    public void submitBulk(int n) {
      submitMany(n);
    }

    @Override
    public void close() {
      // The client holds nothing of its own; the pool closes with the run's database.
    }
  }
}
