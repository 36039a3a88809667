package dev.tasklane.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A node as it describes itself to the registry.
 *
 * <p>A node id is held by one live process at a time: {@code instance} is new at every start of a
 * worker, so the registry tells a restart (the same id, an old instance whose heartbeat stopped)
 * from a second process asking for an id that a live one holds.
 *
 * <p>Stability: SPI; may gain fields in minor releases.
 *
 * @param id the node id, as in task leases
 * @param instance this start of the node: unique, never reused
 * @param host the host the process runs on, for people reading the registry
 * @param pid the process id on that host, likewise
 * @param startedAt when the node started (by its own clock; informational)
 * @param concurrency the node's global limit
 * @param types the task types it serves
 * @param labels what else it says about itself, for people and for routing: a remote worker's
 *     {@code kind} ({@code remote}), {@code language}, {@code client} (name and version) and {@code
 *     queues}; empty for an engine node
 */
public record NodeInfo(
    String id,
    String instance,
    String host,
    long pid,
    Instant startedAt,
    int concurrency,
    Set<String> types,
    Map<String, String> labels) {
  public NodeInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(instance, "instance");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(startedAt, "startedAt");
    types = java.util.Collections.unmodifiableSet(new TreeSet<>(types == null ? Set.of() : types));
    labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels == null ? Map.of() : labels));
  }

  /** A node of the engine: no labels. */
  public NodeInfo(
      String id,
      String instance,
      String host,
      long pid,
      Instant startedAt,
      int concurrency,
      Set<String> types) {
    this(id, instance, host, pid, startedAt, concurrency, types, Map.of());
  }

  /** The label a remote worker's registration carries: {@code kind = remote}. */
  public static final String KIND = "kind";

  /** Whether this is a remote worker (code outside the engine, claiming over the worker protocol). */
  public boolean isRemote() {
    return "remote".equals(labels.get(KIND));
  }

  /** Who this is, for messages: {@code process 1234 on host-a (instance 7f3c...)}. */
  public String describeProcess() {
    return "process " + pid + " on " + host + " (instance " + instance + ")";
  }
}
