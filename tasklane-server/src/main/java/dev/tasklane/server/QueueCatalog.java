package dev.tasklane.server;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tasklane.Worker;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds how many queues the API lets clients create: a name the cluster already knows passes
 * without a store read; a new one passes while fewer than {@code maxQueues} exist, and is refused
 * with a 422 past that, so that a client cannot grow every listing, metric and dashboard event
 * without end. The count is read when a new name arrives, so a race between nodes may overshoot
 * by the few names created at the same moment.
 */
final class QueueCatalog {
  private final Worker worker;
  private final int maxQueues;
  private final Set<String> known = ConcurrentHashMap.newKeySet();

  QueueCatalog(Worker worker, int maxQueues) {
    this.worker = worker;
    this.maxQueues = maxQueues;
  }

  /**
   * Lets a request name {@code queue}, which it may create.
   *
   * @param loc where the name was in the request, for the 422
   * @throws RequestValidationException if the queue is new and the maximum is reached
   */
  void admit(String queue, List<Object> loc) {
    if (known.contains(queue)) {
      return;
    }
    List<String> names = worker.queueNames();
    known.addAll(names);
    if (names.contains(queue) || names.size() < maxQueues) {
      known.add(queue);
      return;
    }
    throw new RequestValidationException(
        new FieldError(
            "too_many_queues",
            loc,
            "The server has "
                + names.size()
                + " queues, its maximum: use an existing queue, or delete an empty one",
            JsonNodeFactory.instance.textNode(queue),
            Map.of("max_queues", maxQueues)));
  }

  /** Forgets a deleted queue, so that naming it again counts as new. */
  void forget(String queue) {
    known.remove(queue);
  }
}
