package dev.tasklane.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs the configured scenarios, each {@code runs} times, every run on a fresh database, and
 * reports each run (and, after several, their median) to a {@link BenchOutput}. With a peer to
 * compare, each run of a scenario is followed by the peer's run of it, and the two summaries by
 * their {@link Comparison}.
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
      Map<Contender, ScenarioRunner> runners = new LinkedHashMap<>();
      for (Contender contender : config.contenders()) {
        ScenarioRunner.of(contender, scenario)
            .ifPresentOrElse(
                runner -> runners.put(contender, runner),
                () ->
                    output.progress(
                        scenario, contender, 0, contender.id() + " has no counterpart of this scenario; Tasklane runs alone"));
      }
      Map<Contender, List<Result>> results = new LinkedHashMap<>();
      // Runs alternate between the contenders, so that a drift of the machine's state (a
      // checkpoint, another process) falls on both rather than on one side's runs.
      for (int run = 1; run <= config.runs(); run++) {
        for (Map.Entry<Contender, ScenarioRunner> e : runners.entrySet()) {
          Contender contender = e.getKey();
          try {
            Result r = runOnce(scenario, contender, e.getValue(), run);
            results.computeIfAbsent(contender, c -> new ArrayList<>()).add(r);
            output.result(r);
            if (r.errors() > 0) {
              failures++;
            }
          } catch (InterruptedException ie) {
            throw ie;
          } catch (Exception ex) {
            output.failed(scenario, contender, run, ex);
            failures++;
          }
        }
      }
      Map<Contender, Result> summaries = new LinkedHashMap<>();
      results.forEach(
          (contender, rows) -> {
            Result summary = rows.size() > 1 ? Result.median(rows) : rows.get(0);
            if (rows.size() > 1) {
              output.result(summary);
            }
            summaries.put(contender, summary);
          });
      Result ours = summaries.get(Contender.TASKLANE);
      summaries.forEach(
          (contender, theirs) -> {
            if (contender != Contender.TASKLANE && ours != null) {
              output.comparison(new Comparison(ours, theirs));
            }
          });
    }
    output.finish();
    return failures;
  }

  private Result runOnce(Scenario scenario, Contender contender, ScenarioRunner runner, int run) throws Exception {
    int tasks = config.tasksFor(scenario);
    HeapSampler heap = HeapSampler.start();
    Measurement m;
    double peakMb;
    try (FreshDatabase db = FreshDatabase.create(config, scenario.id())) {
      current = db;
      try {
        m =
            runner.run(
                new RunContext(config, scenario, tasks, db, line -> output.progress(scenario, contender, run, line)));
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
        contender,
        run,
        String.format(
            java.util.Locale.ROOT,
            "heap: peak in use %,.0f MB; most left after a collection %s (%,d collections)",
            peakMb,
            live == null ? "unknown" : String.format(java.util.Locale.ROOT, "%,.0f MB", live),
            heap.collections()));
    return Result.of(scenario, contender, config.store(), run, config.runs(), m, peakMb);
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
