package dev.tasklane.server;

import dev.tasklane.QueueStats;
import dev.tasklane.Task;
import dev.tasklane.TaskListener;
import dev.tasklane.Worker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The node's metrics in Prometheus' text format, for {@code GET /metrics}: what the worker does
 * (as its {@link TaskListener}), what the store holds (queue depths, read at each scrape), and the
 * JVM's own.
 *
 * <pre>{@code
 * TasklaneMetrics metrics = new TasklaneMetrics();
 * Worker worker = Worker.builder(store).listener(metrics)...build();
 * TasklaneServer.create(worker, config, metrics);
 * }</pre>
 *
 * <p>Meters ({@code queue} and {@code type} tags unless said otherwise):
 *
 * <ul>
 *   <li>{@code tasklane_tasks_submitted_total}, {@code tasklane_tasks_started_total},
 *       {@code tasklane_tasks_finished_total} (and {@code result}: succeeded, failed, retried,
 *       snoozed, cancelled, released), {@code tasklane_runs_stale_rejected_total};
 *   <li>{@code tasklane_task_wait_seconds}: from a task's due time to its start, and {@code
 *       tasklane_task_run_seconds} (and {@code result}): its handler's run, both histograms;
 *   <li>{@code tasklane_lease_renewals_total} (no tags);
 *   <li>{@code tasklane_queue_tasks} ({@code queue}, {@code state}), {@code tasklane_queue_limit},
 *       {@code tasklane_queue_paused} ({@code queue}): read from the store at each scrape;
 *       {@code tasklane_queue_in_flight} ({@code queue}): this node's handlers of the queue;
 *   <li>{@code tasklane_handlers_in_flight} and {@code tasklane_handlers_limit}: this node's;
 *   <li>{@code jvm_*}, {@code process_*}, {@code system_*}: Micrometer's JVM binders.
 * </ul>
 *
 * Thread-safe.
 */
public final class TasklaneMetrics implements TaskListener {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final MultiGauge queueTasks;
  private final MultiGauge queueLimits;
  private final MultiGauge queuePaused;
  private final MultiGauge queueInFlight;
  private volatile Worker worker;
  private final Timeline timeline = new Timeline();

  /** The registry behind {@code /metrics}, to bind more meters (a store's connection pools). */
  public io.micrometer.core.instrument.MeterRegistry registry() {
    return registry;
  }

  /** The last hour of this node's runs, for the dashboard. */
  Timeline timeline() {
    return timeline;
  }

  public TasklaneMetrics() {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    queueTasks =
        MultiGauge.builder("tasklane.queue.tasks")
            .description(
                "Tasks per queue and state, as the store counts them (claimed: leased ahead of a"
                    + " free slot, not started)")
            .register(registry);
    queueLimits =
        MultiGauge.builder("tasklane.queue.limit")
            .description("Concurrency limit per queue: cluster-wide if set, else this node's")
            .register(registry);
    queuePaused =
        MultiGauge.builder("tasklane.queue.paused")
            .description("1 while the queue is paused")
            .register(registry);
    queueInFlight =
        MultiGauge.builder("tasklane.queue.in.flight")
            .description("Handlers of the queue running on this node, against tasklane_queue_limit")
            .register(registry);
  }

  /** Reads this worker's gauges; call once, before serving {@link #scrape()}. */
  void bind(Worker w) {
    this.worker = Objects.requireNonNull(w, "worker");
    Gauge.builder("tasklane.handlers.in.flight", w, x -> x.stats().inFlight())
        .description("Handlers running on this node")
        .register(registry);
    Gauge.builder("tasklane.handlers.limit", w, x -> x.config().concurrency())
        .description("This node's concurrency limit")
        .register(registry);
  }

  /** Every metric in Prometheus' text format; the queue gauges are read from the store now. */
  String scrape() {
    Worker w = worker;
    if (w != null) {
      List<MultiGauge.Row<?>> tasks = new ArrayList<>();
      List<MultiGauge.Row<?>> limits = new ArrayList<>();
      List<MultiGauge.Row<?>> paused = new ArrayList<>();
      List<MultiGauge.Row<?>> inFlight = new ArrayList<>();
      for (QueueStats q : w.queues()) {
        tasks.add(row(q.name(), "scheduled", q.scheduled()));
        tasks.add(row(q.name(), "queued", q.queued()));
        tasks.add(row(q.name(), "running", q.running()));
        tasks.add(row(q.name(), "claimed", q.claimed()));
        tasks.add(row(q.name(), "succeeded", q.succeeded()));
        tasks.add(row(q.name(), "failed", q.failed()));
        tasks.add(row(q.name(), "cancelled", q.cancelled()));
        limits.add(
            MultiGauge.Row.of(
                Tags.of("queue", q.name()), q.limit() != null ? q.limit() : q.nodeLimit()));
        paused.add(MultiGauge.Row.of(Tags.of("queue", q.name()), q.paused() ? 1 : 0));
        inFlight.add(MultiGauge.Row.of(Tags.of("queue", q.name()), w.inFlight(q.name())));
      }
      queueTasks.register(tasks, true);
      queueLimits.register(limits, true);
      queuePaused.register(paused, true);
      queueInFlight.register(inFlight, true);
    }
    return registry.scrape();
  }

  private static MultiGauge.Row<?> row(String queue, String state, long n) {
    return MultiGauge.Row.of(Tags.of("queue", queue, "state", state), n);
  }

  // ---------------------------------------------------------------- TaskListener

  @Override
  public void onSubmitted(Task task) {
    counter("tasklane.tasks.submitted", "Tasks accepted (durable)", task).increment();
  }

  @Override
  public void onSubmittedInBulk(String queue, String type, long count) {
    counter("tasklane.tasks.submitted", "Tasks accepted (durable)", queue, type).increment(count);
  }

  @Override
  public void onStarted(Task task, Duration waited) {
    counter("tasklane.tasks.started", "Handler runs started", task).increment();
    timeline.started(java.time.Instant.now(), waited);
    Timer.builder("tasklane.task.wait")
        .description("From a task's due time to the start of its handler")
        .tags("queue", task.queue(), "type", task.type())
        .publishPercentileHistogram()
        .register(registry)
        .record(waited);
  }

  @Override
  public void onFinished(Task task, RunResult result, Duration ran) {
    Counter.builder("tasklane.tasks.finished")
        .description("Runs ended, by how")
        .tags("queue", task.queue(), "type", task.type(), "result", result.apiName())
        .register(registry)
        .increment();
    timeline.finished(java.time.Instant.now());
    if (!ran.isZero()) {
      Timer.builder("tasklane.task.run")
          .description("How long handlers ran")
          .tags("queue", task.queue(), "type", task.type(), "result", result.apiName())
          .publishPercentileHistogram()
          .register(registry)
          .record(ran);
    }
  }

  @Override
  public void onLeasesRenewed(int runs) {
    Counter.builder("tasklane.lease.renewals")
        .description("Leases renewed by this node's heartbeats")
        .register(registry)
        .increment(runs);
  }

  @Override
  public void onStaleRunRejected(Task task) {
    counter("tasklane.runs.stale.rejected", "Writes refused because the run's lease had moved on", task)
        .increment();
  }

  private Counter counter(String name, String description, Task task) {
    return counter(name, description, task.queue(), task.type());
  }

  private Counter counter(String name, String description, String queue, String type) {
    return Counter.builder(name).description(description).tags("queue", queue, "type", type).register(registry);
  }
}
