package dev.tasklane.internal;

import dev.tasklane.spi.TaskStore;
import java.util.concurrent.ThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the progress handlers report, off their threads: a handler's {@code progress(n)} only
 * records the number, and a virtual thread per run writes the latest one (several reports made
 * while a write is in flight collapse into one). A handler never waits for the store, so a slow or
 * unreachable database does not slow it down; a failed write is dropped (progress is advice, the
 * next report or the outcome supersedes it). A write that finds the run's task gone stops the run,
 * as a lost lease.
 */
final class ProgressWriter {
  private static final Logger log = LoggerFactory.getLogger(ProgressWriter.class);

  private final TaskStore store;
  private final ThreadFactory threads = Thread.ofVirtual().name("tasklane-progress-", 0).factory();

  ProgressWriter(TaskStore store) {
    this.store = store;
  }

  /** {@code run} has a new progress to write: start writing it, unless a write is under way. */
  void reported(Run run) {
    if (run.claimProgressWrite()) {
      threads.newThread(() -> writeLatest(run)).start();
    }
  }

  private void writeLatest(Run run) {
    while (true) {
      int percent = run.reportedProgress();
      try {
        if (!store.updateProgress(run.ref(), percent)) {
          run.stop(Run.StopReason.LEASE_LOST);
        }
      } catch (RuntimeException e) {
        log.debug("progress {} of task {} not written; the next report will try again", percent, run.taskId(), e);
      }
      if (run.releaseProgressWrite(percent)) {
        return; // nothing newer was reported meanwhile
      }
    }
  }
}
