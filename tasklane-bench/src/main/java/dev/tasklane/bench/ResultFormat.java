package dev.tasklane.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * How results are printed: a fixed-width table, one row per run (so rows can be printed as runs
 * finish), or JSON lines with the fields {@code scenario, system, store, tasks, seconds,
 * tasks_per_sec, p50_ms, p95_ms, p99_ms, peak_heap_mb, errors, run, runs} ({@code null} where a
 * figure does not apply; {@code run} is {@code "median"} on the row that summarizes several runs).
 * A comparison with a peer adds one line per scenario with the ratios ({@link #comparisonRow},
 * {@link #comparisonJson}).
 */
public final class ResultFormat {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
  private static final String ROW = "%-14s %-12s %-8s %6s %11s %9s %10s %9s %9s %9s %8s %6s";
  private static final String COMPARISON_ROW = "%-14s %-8s %-12s %10s %10s %7s %15s %15s %7s %7s";

  private ResultFormat() {}

  /** The line above the table: where the figures come from. */
  public static String machineLine(MachineFacts m) {
    return String.format(
        Locale.ROOT,
        "tasklane bench on %s: %d cores, max heap %.1f GiB (%s), JDK %s, %s",
        m.storeVersion(),
        m.cores(),
        m.maxHeapBytes() / (1024.0 * 1024 * 1024),
        m.gc(),
        m.jdk(),
        m.os());
  }

  /** The table's column headings. */
  public static String tableHeader() {
    return String.format(
        Locale.ROOT, ROW, "scenario", "system", "store", "run", "tasks", "seconds", "tasks/s", "p50 ms", "p95 ms", "p99 ms", "heap MB", "errors");
  }

  /** One table row; {@code -} where a figure does not apply. */
  public static String tableRow(Result r) {
    return String.format(
        Locale.ROOT,
        ROW,
        r.scenario().id(),
        r.contender().id(),
        r.store().id(),
        r.isMedian() ? "median" : Integer.toString(r.run()),
        String.format(Locale.ROOT, "%,d", r.tasks()),
        String.format(Locale.ROOT, "%.2f", r.seconds()),
        String.format(Locale.ROOT, "%,.0f", r.tasksPerSec()),
        millis(r.p50Ms()),
        millis(r.p95Ms()),
        millis(r.p99Ms()),
        r.peakHeapMb() == null ? "-" : String.format(Locale.ROOT, "%,.0f", r.peakHeapMb()),
        Long.toString(r.errors()));
  }

  private static String millis(Double ms) {
    return ms == null ? "-" : String.format(Locale.ROOT, "%.2f", ms);
  }

  /** One JSON object on one line. */
  public static String jsonLine(Result r) {
    ObjectNode o = JSON.createObjectNode();
    o.put("scenario", r.scenario().id());
    o.put("system", r.contender().id());
    o.put("store", r.store().id());
    o.put("tasks", r.tasks());
    o.put("seconds", round(r.seconds(), 3));
    o.put("tasks_per_sec", round(r.tasksPerSec(), 1));
    o.put("p50_ms", round(r.p50Ms(), 3));
    o.put("p95_ms", round(r.p95Ms(), 3));
    o.put("p99_ms", round(r.p99Ms(), 3));
    o.put("peak_heap_mb", round(r.peakHeapMb(), 1));
    o.put("errors", r.errors());
    if (r.isMedian()) {
      o.put("run", "median");
    } else {
      o.put("run", r.run());
    }
    o.put("runs", r.runs());
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e); // a tree of plain values always writes
    }
  }

  /** The headings of the side-by-side table, under a line that says how to read its ratios. */
  public static String comparisonHeader() {
    return "side by side: x = Tasklane's tasks/s over the peer's; latency x = the peer's over Tasklane's"
        + " (above 1: Tasklane ahead)\n"
        + String.format(
            Locale.ROOT,
            COMPARISON_ROW,
            "scenario", "store", "peer", "tasklane/s", "peer/s", "x", "tasklane p50/99", "peer p50/99", "p50 x", "p99 x");
  }

  /** One row of the side-by-side table; {@code -} where a figure does not apply. */
  public static String comparisonRow(Comparison c) {
    Result t = c.tasklane();
    Result p = c.peer();
    return String.format(
        Locale.ROOT,
        COMPARISON_ROW,
        c.scenario().id(),
        t.store().id(),
        p.contender().id(),
        String.format(Locale.ROOT, "%,.0f", t.tasksPerSec()),
        String.format(Locale.ROOT, "%,.0f", p.tasksPerSec()),
        ratio(c.throughputRatio()),
        pair(t.p50Ms(), t.p99Ms()),
        pair(p.p50Ms(), p.p99Ms()),
        ratio(c.p50Ratio()),
        ratio(c.p99Ratio()));
  }

  /**
   * A comparison as one JSON object: {@code comparison} (the peer's name), {@code scenario},
   * {@code store}, both sides' {@code tasks_per_sec}, {@code p50_ms} and {@code p99_ms}, and the
   * ratios {@code throughput_ratio}, {@code p50_ratio}, {@code p99_ratio}.
   */
  public static String comparisonJson(Comparison c) {
    ObjectNode o = JSON.createObjectNode();
    o.put("comparison", c.peer().contender().id());
    o.put("scenario", c.scenario().id());
    o.put("store", c.tasklane().store().id());
    o.put("tasklane_tasks_per_sec", round(c.tasklane().tasksPerSec(), 1));
    o.put("peer_tasks_per_sec", round(c.peer().tasksPerSec(), 1));
    o.put("throughput_ratio", round(c.throughputRatio(), 2));
    o.put("tasklane_p50_ms", round(c.tasklane().p50Ms(), 3));
    o.put("peer_p50_ms", round(c.peer().p50Ms(), 3));
    o.put("p50_ratio", round(c.p50Ratio(), 2));
    o.put("tasklane_p99_ms", round(c.tasklane().p99Ms(), 3));
    o.put("peer_p99_ms", round(c.peer().p99Ms(), 3));
    o.put("p99_ratio", round(c.p99Ratio(), 2));
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String ratio(Double value) {
    return value == null ? "-" : String.format(Locale.ROOT, "%.2f", value);
  }

  private static String pair(Double p50, Double p99) {
    return p50 == null || p99 == null ? "-" : String.format(Locale.ROOT, "%.2f/%.2f", p50, p99);
  }

  /** {@code value} to {@code places} decimals (half up), or {@code null}. */
  private static BigDecimal round(Double value, int places) {
    if (value == null) {
      return null;
    }
    return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP);
  }
}
