package dev.tasklane.server.access;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a token is limited to, beyond its role: the task types and queues a worker's token may
 * serve. A worker that announces a type or queue outside its token's scope is refused (403), so a
 * token handed to one team's worker cannot take another team's tasks. Empty sets: not limited.
 *
 * @param types the task types it may serve; empty for any
 * @param queues the queues it may serve; empty for any
 */
public record TokenScope(Set<String> types, Set<String> queues) {
  /** No limit beyond the role. */
  public static final TokenScope UNLIMITED = new TokenScope(Set.of(), Set.of());

  public TokenScope {
    types = Set.copyOf(types);
    queues = Set.copyOf(queues);
  }

  /** @throws AccessDeniedException if a type is outside the scope */
  public void requireTypes(Collection<String> named) {
    if (types.isEmpty()) {
      return;
    }
    Set<String> outside = new TreeSet<>(named);
    outside.removeAll(types);
    if (!outside.isEmpty()) {
      throw new AccessDeniedException(403, 
          "This token may serve task types " + new TreeSet<>(types) + " only, not " + outside);
    }
  }

  /**
   * @throws AccessDeniedException if a queue is outside the scope, or none is named while the
   *     scope limits queues (a worker naming no queue serves every queue)
   */
  public void requireQueues(Collection<String> named) {
    if (queues.isEmpty()) {
      return;
    }
    if (named.isEmpty()) {
      throw new AccessDeniedException(403, 
          "This token may serve queues " + new TreeSet<>(queues) + " only: name them in 'queues'");
    }
    Set<String> outside = new TreeSet<>(named);
    outside.removeAll(queues);
    if (!outside.isEmpty()) {
      throw new AccessDeniedException(403, 
          "This token may serve queues " + new TreeSet<>(queues) + " only, not " + outside);
    }
  }
}
