package dev.tasklane.bench;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The command's output. Results go to {@code out}: as JSON lines the moment each run finishes, or
 * as a table (machine facts, headings, one row per run) once all have run, so that progress lines
 * do not break it up. Progress, failures and, in JSON mode, the machine facts go to {@code err},
 * which keeps {@code out} machine-readable.
 */
public final class ConsoleOutput implements BenchOutput {
  private final PrintWriter out;
  private final PrintWriter err;
  private final boolean json;
  private final List<String> rows = new ArrayList<>();
  private final List<String> comparisons = new ArrayList<>();
  private MachineFacts facts;

  public ConsoleOutput(PrintWriter out, PrintWriter err, boolean json) {
    this.out = out;
    this.err = err;
    this.json = json;
  }

  @Override
  public void start(MachineFacts machine) {
    this.facts = machine;
    err.println(ResultFormat.machineLine(machine));
    err.flush();
  }

  @Override
  public void result(Result r) {
    if (json) {
      out.println(ResultFormat.jsonLine(r));
      out.flush();
    } else {
      rows.add(ResultFormat.tableRow(r));
    }
    if (!r.isMedian()) {
      String latency =
          r.p50Ms() == null ? "" : String.format(java.util.Locale.ROOT, ", p50 %.2f / p95 %.2f / p99 %.2f ms", r.p50Ms(), r.p95Ms(), r.p99Ms());
      progress(
          r.scenario(),
          r.contender(),
          r.run(),
          String.format(
              java.util.Locale.ROOT,
              "done: %,d tasks in %.2f s = %,.0f tasks/s%s, peak heap %,.0f MB, %d errors",
              r.tasks(),
              r.seconds(),
              r.tasksPerSec(),
              latency,
              r.peakHeapMb() == null ? 0 : r.peakHeapMb(),
              r.errors()));
    }
  }

  @Override
  public void comparison(Comparison c) {
    if (json) {
      out.println(ResultFormat.comparisonJson(c));
      out.flush();
    } else {
      comparisons.add(ResultFormat.comparisonRow(c));
    }
  }

  @Override
  public void failed(Scenario scenario, Contender contender, int run, Exception error) {
    String message = error instanceof BenchException ? error.getMessage() : error.toString();
    err.println(label(scenario, contender, run) + " FAILED: " + message);
    err.flush();
    rows.add(
        String.format(
            java.util.Locale.ROOT,
            "%-14s %-12s %-8s %6d  FAILED: %s",
            scenario.id(),
            contender.id(),
            facts == null ? "" : facts.store().id(),
            run,
            message));
  }

  @Override
  public void progress(Scenario scenario, Contender contender, int run, String message) {
    err.println(label(scenario, contender, run) + " " + message);
    err.flush();
  }

  /** {@code [drain #1]} for Tasklane's runs, {@code [drain db-scheduler #1]} for a peer's. */
  private static String label(Scenario scenario, Contender contender, int run) {
    return "[" + scenario.id() + (contender == Contender.TASKLANE ? "" : " " + contender.id()) + " #" + run + "]";
  }

  @Override
  public void finish() {
    if (json) {
      return;
    }
    if (facts != null) {
      out.println(ResultFormat.machineLine(facts));
    }
    out.println(ResultFormat.tableHeader());
    rows.forEach(out::println);
    if (!comparisons.isEmpty()) {
      out.println();
      out.println(ResultFormat.comparisonHeader());
      comparisons.forEach(out::println);
    }
    out.flush();
  }
}
