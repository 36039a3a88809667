package dev.tasklane.internal;

import dev.tasklane.TaskListener;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tells the user's {@link TaskListener}; a failing listener is logged, never allowed to disturb a run. */
final class SafeListener {
  private static final Logger log = LoggerFactory.getLogger(SafeListener.class);

  private final TaskListener listener;

  SafeListener(TaskListener listener) {
    this.listener = listener;
  }

  void tell(Consumer<TaskListener> event) {
    try {
      event.accept(listener);
    } catch (RuntimeException e) {
      log.warn("task listener {} failed", listener, e);
    }
  }
}
