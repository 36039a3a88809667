package dev.tasklane.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Runs the configured scenarios, each {@code runs} times, every run on a fresh database, and
 * reports each run (and, after several, their median) to a {@link BenchOutput}.
 *
 * <pre>{@code
 * BenchConfig config = BenchConfig.defaults().withStore(StoreKind.POSTGRES);
 * int failures = new Bench(config, new ConsoleOutput(out, err, false)).run();
 * }</pre>
 *
 * <p>Before each run the collector is asked for a full collection, so that one run's garbage does
 * not count in the next one's heap figures ({@link HeapSampler}).
 */
public final class Bench {
  private final BenchConfig config;
  private final BenchOutput output;
  private volatile FreshDatabase current;

  public Bench(BenchConfig config, BenchOutput output) {
    this.config = Objects.requireNonNull(config, "config");
    this.output = Objects.requireNonNull(output, "output");
  }

  /**
   * Runs everything.
   *
   * @return how many runs failed or counted errors; 0 when all went well
   * @throws BenchException if the store cannot be reached at all (nothing ran)
   * @throws InterruptedException if interrupted; the run in progress is abandoned
   */
  public int run() throws InterruptedException {
    output.start(MachineFacts.probe(config));
    int failures = 0;
    for (Scenario scenario : config.scenarios()) {
      List<Result> results = new ArrayList<>();
      for (int run = 1; run <= config.runs(); run++) {
        try {
          Result r = runOnce(scenario, run);
          results.add(r);
          output.result(r);
          if (r.errors() > 0) {
            failures++;
          }
        } catch (InterruptedException e) {
          throw e;
        } catch (Exception e) {
          output.failed(scenario, run, e);
          failures++;
        }
      }
      if (results.size() > 1) {
        output.result(Result.median(results));
      }
    }
    output.finish();
    return failures;
  }

  private Result runOnce(Scenario scenario, int run) throws Exception {
    ScenarioRunner runner = ScenarioRunner.of(scenario);
    int tasks = config.tasksFor(scenario);
    HeapSampler heap = HeapSampler.start();
    Measurement m;
    double peakMb;
    try (FreshDatabase db = FreshDatabase.create(config, scenario.id())) {
      current = db;
      try {
        m = runner.run(new RunContext(config, scenario, tasks, db, line -> output.progress(scenario, run, line)));
      } finally {
        peakMb = heap.stop();
      }
    } finally {
      current = null;
      heap.stop();
    }
    Double live = heap.liveAfterCollectionMb();
    output.progress(
        scenario,
        run,
        String.format(
            java.util.Locale.ROOT,
            "heap: peak in use %,.0f MB; most left after a collection %s (%,d collections)",
            peakMb,
            live == null ? "unknown" : String.format(java.util.Locale.ROOT, "%,.0f MB", live),
            heap.collections()));
    return Result.of(scenario, config.store(), run, config.runs(), m, peakMb);
  }

  /**
   * Best effort for a process being stopped (Ctrl-C): deletes the database of the run in progress,
   * so no temporary file or schema is left behind. The run itself fails.
   */
  public void abandon() {
    FreshDatabase db = current;
    if (db != null) {
      try {
        db.close();
      } catch (RuntimeException e) {
        // the process is going away; what could not be deleted stays
      }
    }
  }
}
