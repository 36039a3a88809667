package dev.tasklane.testkit;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that stands still until a test moves it. Inject it wherever code takes an {@link
 * InstantSource}, then {@link #advance(Duration)} instead of sleeping.
 *
 * <p>Thread-safe: the engine's threads may read it while the test moves it.
 */
public final class MutableClock implements InstantSource {
  /** A fixed, unremarkable start time used by default: 2030-01-01T00:00:00Z. */
  public static final Instant DEFAULT_START = Instant.parse("2030-01-01T00:00:00Z");

  private final AtomicReference<Instant> now;

  private MutableClock(Instant start) {
    this.now = new AtomicReference<>(Objects.requireNonNull(start, "start"));
  }

  /** A clock standing at {@code start}. */
  public static MutableClock at(Instant start) {
    return new MutableClock(start);
  }

  /** A clock standing at {@link #DEFAULT_START}. */
  public static MutableClock atDefaultStart() {
    return new MutableClock(DEFAULT_START);
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  /** Moves the clock to {@code instant}, forwards or backwards. */
  public void set(Instant instant) {
    now.set(Objects.requireNonNull(instant, "instant"));
  }

  /**
   * Moves the clock by {@code amount} (negative moves it back).
   *
   * @return the new time
   */
  public Instant advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    return now.updateAndGet(t -> t.plus(amount));
  }

  @Override
  public String toString() {
    return "MutableClock[" + now.get() + "]";
  }
}
