package dev.tasklane.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The named benchmark scenarios, in the order {@code tasklane bench} runs them by default. Each
 * run gets a fresh database.
 */
public enum Scenario {
  /** N no-op tasks already queued; one node with {@code concurrency} handlers runs them all. */
  DRAIN("drain"),
  /** {@code submit()} one task per call from one thread: a lone caller's cost; latency of each call. */
  ENQUEUE_SERIAL("enqueue-serial"),
  /** {@code submit()} one task per call from {@code concurrency} threads; latency of each call. */
  ENQUEUE_SINGLE("enqueue-single"),
  /** {@code submitAll()} of 1,000-task batches from 4 threads; latency of each batch call. */
  ENQUEUE_BATCH("enqueue-batch"),
  /** One {@code submitBulk()} call streaming all N tasks in one transaction: the bulk path, and its heap. */
  ENQUEUE_BULK("enqueue-bulk"),
  /** {@code POST /api/v1/tasks} over real HTTP on keep-alive connections to a running node. */
  HTTP("http"),
  /** An idle node, one submission every 20 ms: acknowledgment to handler start. */
  LATENCY("latency"),
  /** A million queued tasks drained, with the peak heap; takes minutes. */
  BACKLOG("backlog"),
  /**
   * N no-op tasks queued on a server with no handler of its own, drained over the worker protocol
   * by 4 Java remote workers ({@code tasklane-client}) of {@code concurrency} handlers each.
   */
  REMOTE_DRAIN("remote-drain"),
  /** The same, drained by 4 Python worker processes ({@code clients/python}). */
  REMOTE_DRAIN_PYTHON("remote-drain-python"),
  /** An idle Java remote worker in a long poll, one submission every 20 ms: acknowledgment to handler start. */
  REMOTE_LATENCY("remote-latency"),
  /** The drain through a queue rate-limited to 1,000 starts a second (burst 100): the limiter's cost. */
  DRAIN_RATE_LIMITED("drain-rate-limited");

  private final String id;

  Scenario(String id) {
    this.id = id;
  }

  /** The name on the command line and in the output, e.g. {@code enqueue-single}. */
  public String id() {
    return id;
  }

  /**
   * The scenario's size when {@code --tasks} is not given: tasks queued or submitted, or
   * submissions at 20 ms; 0 for {@link #HTTP}, which then counts for a fixed {@link
   * BenchConfig#HTTP_DURATION} instead of a number of requests.
   */
  public int defaultTasks(StoreKind store) {
    return switch (this) {
      case DRAIN -> 100_000;
      case ENQUEUE_SERIAL, ENQUEUE_BULK -> 20_000;
      case ENQUEUE_SINGLE -> store == StoreKind.POSTGRES ? 50_000 : 100_000;
      case ENQUEUE_BATCH -> 500_000;
      case HTTP -> 0;
      case LATENCY -> 500;
      case BACKLOG -> 1_000_000;
      case REMOTE_DRAIN, REMOTE_DRAIN_PYTHON -> 20_000;
      case REMOTE_LATENCY -> 500;
      case DRAIN_RATE_LIMITED -> 10_000;
    };
  }

  /**
   * The scenario named {@code text} (any case).
   *
   * @throws IllegalArgumentException naming the scenarios there are
   */
  public static Scenario parse(String text) {
    String wanted = text.strip().toLowerCase(Locale.ROOT);
    for (Scenario s : values()) {
      if (s.id.equals(wanted)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "no scenario '"
            + text
            + "'; there are: "
            + Arrays.stream(values()).map(Scenario::id).collect(Collectors.joining(", ")));
  }
}
