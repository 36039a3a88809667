package dev.tasklane;

import java.util.Locale;
import java.util.Optional;

/**
 * What a {@link Schedule} does about ticks it missed: ticks that came while no node of the cluster
 * ran, or while its nodes could not reach the store, for longer than {@link Schedule#MISFIRE_GRACE}.
 * A tick late by less than that is not missed: it fires as usual, late (a restart, a failover).
 *
 * <p>Either way, a schedule never fires more than one task per tick, and its next tick is the
 * first one after the moment it caught up. Ticks that came while the schedule was paused are not
 * missed ones: resuming it starts from the next tick.
 */
public enum Misfire {
  /** Drop the missed ticks: the schedule goes on with its next tick. */
  SKIP,
  /**
   * Fire one task for all the missed ticks (the latest of them, with that tick as its run-at), then
   * go on with the next tick.
   */
  RUN_ONCE;

  /** The name the API uses: {@code skip}, {@code run_once}. */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The policy named {@code name} in the API's spelling, if it is one. */
  public static Optional<Misfire> fromApiName(String name) {
    for (Misfire m : values()) {
      if (m.apiName().equals(name)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
