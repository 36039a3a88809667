package dev.tasklane.internal;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Helpers of the engine's loops: a failing pass is logged and the loop goes on. */
final class Loops {
  private static final Logger log = LoggerFactory.getLogger(Loops.class);

  private Loops() {}

  /** Loop bodies catch everything, log it and keep going: one bad tick must not stop the node. */
  static Runnable guarded(String what, Runnable body) {
    return () -> {
      try {
        body.run();
      } catch (Throwable t) {
        log.error("{} failed; will try again", what, t);
      }
    };
  }

  static void awaitTermination(ExecutorService s) {
    try {
      if (!s.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("{} did not stop within 5 s", s);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void join(Thread t, Duration d) {
    if (t == null) {
      return;
    }
    try {
      t.join(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed", c, e);
    }
  }

  static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
