package dev.tasklane.internal;

import dev.tasklane.Task;
import dev.tasklane.TaskListener;
import java.time.Duration;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Tells the user's {@link TaskListener}; a failing listener is logged, never allowed to disturb a run. */
final class SafeListener implements TaskListener {
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

  // The listener's events, each told safely: for callers outside the engine (remote workers' runs).

  @Override
  public void onSubmitted(Task task) {
    tell(l -> l.onSubmitted(task));
  }

  @Override
  public void onSubmittedInBulk(String queue, String type, long count) {
    tell(l -> l.onSubmittedInBulk(queue, type, count));
  }

  @Override
  public void onStarted(Task task, Duration waited) {
    tell(l -> l.onStarted(task, waited));
  }

  @Override
  public void onFinished(Task task, RunResult result, Duration ran) {
    tell(l -> l.onFinished(task, result, ran));
  }

  @Override
  public void onLeasesRenewed(int runs) {
    tell(l -> l.onLeasesRenewed(runs));
  }

  @Override
  public void onStaleRunRejected(Task task) {
    tell(l -> l.onStaleRunRejected(task));
  }
}
