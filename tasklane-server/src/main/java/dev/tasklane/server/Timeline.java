package dev.tasklane.server;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The last hour of this node's work in {@link #BUCKET} buckets, for the dashboard's charts: runs
 * finished, and the time started tasks had waited since they were due. Fixed memory (one hour of
 * buckets), whatever the load.
 *
 * <p>Thread-safe: handler threads record, the dashboard's pushes read.
 */
final class Timeline {
  static final Duration BUCKET = Duration.ofSeconds(10);
  static final Duration SPAN = Duration.ofHours(1);
  private static final int BUCKETS = (int) (SPAN.toMillis() / BUCKET.toMillis());
  private static final long BUCKET_MS = BUCKET.toMillis();

  /** One bucket: its start (epoch ms), runs finished, starts and their summed wait. */
  record Point(Instant at, long finished, long started, double meanWaitMs) {}

  private final long[] epoch = new long[BUCKETS];
  private final long[] finished = new long[BUCKETS];
  private final long[] started = new long[BUCKETS];
  private final double[] waitMs = new double[BUCKETS];

  synchronized void finished(Instant now) {
    finished[slot(now)]++;
  }

  synchronized void started(Instant now, Duration waited) {
    int i = slot(now);
    started[i]++;
    waitMs[i] += waited.toNanos() / 1e6;
  }

  /** The buckets of the last hour up to {@code now}, oldest first; empty ones included. */
  synchronized List<Point> points(Instant now) {
    long current = Math.floorDiv(now.toEpochMilli(), BUCKET_MS);
    List<Point> out = new ArrayList<>(BUCKETS);
    for (long b = current - BUCKETS + 1; b <= current; b++) {
      int i = (int) Math.floorMod(b, (long) BUCKETS);
      boolean live = epoch[i] == b;
      long s = live ? started[i] : 0;
      out.add(new Point(Instant.ofEpochMilli(b * BUCKET_MS), live ? finished[i] : 0, s, s == 0 ? 0 : waitMs[i] / s));
    }
    return out;
  }

  /** The bucket for {@code now}, cleared first if it last held an older period. */
  private int slot(Instant now) {
    long b = Math.floorDiv(now.toEpochMilli(), BUCKET_MS);
    int i = (int) Math.floorMod(b, (long) BUCKETS);
    if (epoch[i] != b) {
      epoch[i] = b;
      finished[i] = 0;
      started[i] = 0;
      waitMs[i] = 0;
    }
    return i;
  }
}
