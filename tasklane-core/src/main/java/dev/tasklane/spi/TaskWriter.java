package dev.tasklane.spi;

import dev.tasklane.Submission;
import java.util.List;

/**
 * Where new tasks are written: a store itself (each call its own durable transaction), or a view
 * of a store bound to a caller's open transaction, so that tasks exist if and only if that
 * transaction commits.
 *
 * <p>Stability: SPI.
 */
public interface TaskWriter {
  /** See {@link TaskStore#insert(NewTask)}. */
  Submission insert(NewTask task);

  /** See {@link TaskStore#insertAll(List)}. */
  List<Submission> insertAll(List<NewTask> tasks);
}
