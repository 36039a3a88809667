package dev.tasklane.internal;

/** A timeout set with {@link Timeouts#schedule}; cancelling it lets the timer forget it at once. */
@FunctionalInterface
interface ScheduledTimeout {
  void cancel();
}
