package dev.tasklane.spi;

import java.util.Set;

/** What a store's {@link TaskStore#subscribe subscription} tells the engine. */
@FunctionalInterface
public interface WorkSignal {
  /**
   * Work may be ready.
   *
   * @param queues the queues the notifications named; empty when the store cannot tell which
   *     (then any queue, new ones included, may have work)
   * @param queueSettingsChanged a queue was paused or resumed (or, with {@code queues} empty,
   *     anything may have changed, as after a lost connection)
   */
  void workMayBeReady(Set<String> queues, boolean queueSettingsChanged);
}
