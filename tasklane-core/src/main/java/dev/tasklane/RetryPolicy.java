package dev.tasklane;

import java.time.Duration;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * How often a task runs and how long it waits between failed attempts: exponential backoff with
 * jitter, {@code initialDelay * multiplier^(attempt-1)}, capped at {@code maxDelay}, then spread
 * by ±{@code jitter} so that tasks failing together do not retry together.
 *
 * @param maxAttempts runs allowed, 1 to {@value TaskRequest#MAX_ATTEMPTS_LIMIT}
 * @param initialDelay wait after the first failed attempt, positive
 * @param maxDelay cap of any wait, at least {@code initialDelay}
 * @param multiplier growth per attempt, at least 1
 * @param jitter fraction of the delay to spread by, 0 to 1
 */
public record RetryPolicy(
    int maxAttempts, Duration initialDelay, Duration maxDelay, double multiplier, double jitter) {

  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofSeconds(1);
  public static final Duration DEFAULT_MAX_DELAY = Duration.ofMinutes(10);
  public static final double DEFAULT_MULTIPLIER = 2.0;
  public static final double DEFAULT_JITTER = 0.2;

  public RetryPolicy {
    Objects.requireNonNull(initialDelay, "initialDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (maxAttempts < 1 || maxAttempts > TaskRequest.MAX_ATTEMPTS_LIMIT) {
      throw new IllegalArgumentException(
          "maxAttempts must be between 1 and " + TaskRequest.MAX_ATTEMPTS_LIMIT + ": " + maxAttempts);
    }
    if (initialDelay.isNegative() || initialDelay.isZero()) {
      throw new IllegalArgumentException("initialDelay must be positive: " + initialDelay);
    }
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException("maxDelay must be at least initialDelay");
    }
    if (!(multiplier >= 1.0)) {
      throw new IllegalArgumentException("multiplier must be at least 1: " + multiplier);
    }
    if (!(jitter >= 0.0 && jitter <= 1.0)) {
      throw new IllegalArgumentException("jitter must be between 0 and 1: " + jitter);
    }
  }

  /** 3 attempts, 1 s doubling up to 10 min, ±20% jitter. */
  public static RetryPolicy defaults() {
    return new RetryPolicy(
        DEFAULT_MAX_ATTEMPTS, DEFAULT_INITIAL_DELAY, DEFAULT_MAX_DELAY, DEFAULT_MULTIPLIER, DEFAULT_JITTER);
  }

  public RetryPolicy withMaxAttempts(int attempts) {
    return new RetryPolicy(attempts, initialDelay, maxDelay, multiplier, jitter);
  }

  public RetryPolicy withBackoff(Duration initial, Duration max) {
    return new RetryPolicy(maxAttempts, initial, max, multiplier, jitter);
  }

  public RetryPolicy withJitter(double fraction) {
    return new RetryPolicy(maxAttempts, initialDelay, maxDelay, multiplier, fraction);
  }

  /**
   * The wait after failed attempt number {@code attempt} (1-based).
   *
   * @param random source of the jitter
   */
  public Duration backoff(int attempt, RandomGenerator random) {
    double base = initialDelay.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
    double capped = Math.min(base, maxDelay.toMillis());
    double spread = jitter == 0 ? 0 : capped * jitter * (2 * random.nextDouble() - 1);
    long millis = Math.max(0, Math.round(capped + spread));
    return Duration.ofMillis(Math.min(millis, maxDelay.toMillis()));
  }
}
