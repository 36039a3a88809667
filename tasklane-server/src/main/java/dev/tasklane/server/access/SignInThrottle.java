package dev.tasklane.server.access;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Counts failed sign-ins and rejected tokens per client address in fixed one-minute windows; an
 * address past the limit is refused (429) until its window ends, before any credential of its is
 * checked, so guessing costs the guesser a minute per handful of tries.
 *
 * <p>The table is bounded: past {@value #MAX_ADDRESSES} addresses, windows that have ended are
 * dropped, and if none has, the whole table is (a flood from that many addresses is beyond what a
 * per-address limit can stop; the hashes and the token space are what protect then).
 */
final class SignInThrottle {
  static final Duration WINDOW = Duration.ofMinutes(1);
  private static final int MAX_ADDRESSES = 50_000;

  private final int limit;
  private final InstantSource clock;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  private record Window(Instant start, int failures) {}

  SignInThrottle(int limit, InstantSource clock) {
    this.limit = limit;
    this.clock = clock;
  }

  /** How long the address must wait; {@link Duration#ZERO} if it may try now. */
  Duration waitFor(String address) {
    Window w = windows.get(address);
    if (w == null || w.failures() < limit) {
      return Duration.ZERO;
    }
    Duration left = Duration.between(clock.instant(), w.start().plus(WINDOW));
    if (left.isNegative() || left.isZero()) {
      windows.remove(address, w);
      return Duration.ZERO;
    }
    return left;
  }

  /** Takes back one counted failure of the address (an attempt counted up front succeeded). */
  void forgive(String address) {
    windows.computeIfPresent(
        address, (a, w) -> w.failures() <= 1 ? null : new Window(w.start(), w.failures() - 1));
  }

  /** Counts one failure of the address. */
  void failed(String address) {
    Instant now = clock.instant();
    if (windows.size() >= MAX_ADDRESSES) {
      windows.values().removeIf(w -> !w.start().plus(WINDOW).isAfter(now));
      if (windows.size() >= MAX_ADDRESSES) {
        windows.clear();
      }
    }
    windows.merge(
        address,
        new Window(now, 1),
        (old, one) ->
            old.start().plus(WINDOW).isAfter(now)
                ? new Window(old.start(), old.failures() + 1)
                : one);
  }
}
