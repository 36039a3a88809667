package dev.tasklane.internal;

import dev.tasklane.RetryPolicy;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskType;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The task types that remote workers run, as far as this node knows: what the store remembers of
 * every worker's announcement ({@link TaskStore#announcedTypes()}), read once and again when a name
 * is asked for that is not known here (another node may have heard its announcement), at most once
 * a second. Each is a {@link TaskType} without a local handler: the default queue and retry policy,
 * no timeout unless a submission gives one.
 */
public final class AnnouncedTypes {
  private static final Duration REREAD_AFTER = Duration.ofSeconds(1);

  private final TaskStore store;
  private final LongSupplier nanoTime;
  private final Map<String, TaskType<?>> known = new ConcurrentHashMap<>();
  private volatile long readAt;
  private volatile boolean read;

  public AnnouncedTypes(TaskStore store, LongSupplier nanoTime) {
    this.store = store;
    this.nanoTime = nanoTime;
  }

  /** The type of that name if a remote worker announced it, reading the store if needed. */
  public Optional<TaskType<?>> find(String name) {
    TaskType<?> type = known.get(name);
    if (type != null || !TaskRequest.NAME.matcher(name).matches()) {
      return Optional.ofNullable(type);
    }
    long now = nanoTime.getAsLong();
    if (!read || now - readAt >= REREAD_AFTER.toNanos()) {
      readAt = now;
      store.announcedTypes().forEach(this::remember);
      read = true;
    }
    return Optional.ofNullable(known.get(name));
  }

  /** Whether any type is known to be run by remote workers (reads the store the first time). */
  public boolean any() {
    if (!read) {
      find("-");
    }
    return !known.isEmpty();
  }

  /** Records a worker's announcement: in the store, for every node, and here. */
  public void announce(Set<String> types) {
    store.announceTypes(types);
    types.forEach(this::remember);
  }

  /** Every type known here, sorted. */
  public Set<String> names() {
    return new TreeSet<>(known.keySet());
  }

  private void remember(String name) {
    known.computeIfAbsent(name, AnnouncedTypes::remoteType);
  }

  private static TaskType<?> remoteType(String name) {
    return TaskType.of(
            name,
            Object.class,
            (payload, context) -> {
              throw new IllegalStateException("task type " + name + " runs on remote workers");
            })
        .withRetryPolicy(RetryPolicy.defaults());
  }
}
