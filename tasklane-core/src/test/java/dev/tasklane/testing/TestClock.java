package dev.tasklane.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that moves only when told to; thread-safe. */
public final class TestClock implements InstantSource {
  private final AtomicReference<Instant> now;

  public TestClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  public static TestClock at(String iso) {
    return new TestClock(Instant.parse(iso));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  public Instant advance(Duration d) {
    return now.updateAndGet(i -> i.plus(d));
  }

  /** A clock that reads this one plus {@code offset}: a node whose clock is skewed. */
  public InstantSource skewedBy(Duration offset) {
    return () -> instant().plus(offset);
  }
}
