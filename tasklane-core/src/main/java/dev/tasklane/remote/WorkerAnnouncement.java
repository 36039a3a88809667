package dev.tasklane.remote;

import dev.tasklane.TaskRequest;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a remote worker says about itself when it connects: who it is, what it runs, and how much.
 *
 * @param id the worker's name, stable across its restarts (like a node id): a restart under the
 *     same id takes back the registration once the old process has gone silent
 * @param instance this process of the worker: new at every start, so the server tells a restart
 *     from a second process claiming a live worker's id
 * @param host where it runs, for people
 * @param pid its process id there, for people
 * @param language the language it is written in ({@code python}, {@code java}, ...), for people
 * @param client its client library and version ({@code tasklane-python/0.1.0}), for people
 * @param types the task types it runs; at least one
 * @param queues the queues it takes them from; empty for every queue
 * @param concurrency how many tasks it runs at once: the server never leases it more
 * @param owner who announced it (the server's name for the credential), or {@code null}: later
 *     calls for this worker must come from the same owner, so that one credential cannot claim,
 *     heartbeat or leave as a worker another announced
 */
public record WorkerAnnouncement(
    String id,
    String instance,
    String host,
    long pid,
    String language,
    String client,
    Set<String> types,
    Set<String> queues,
    int concurrency,
    String owner) {

  /** Most types or queues one worker may name. */
  public static final int MAX_NAMES = 100;

  /** Most tasks one worker may run at once. */
  public static final int MAX_CONCURRENCY = 10_000;

  private static final Pattern LABEL = Pattern.compile("[\\x20-\\x7E]{1,100}");

  public WorkerAnnouncement {
    requireName("worker id", id);
    requireName("instance", instance);
    host = label("host", host == null ? "unknown" : host);
    language = label("language", language == null ? "unknown" : language);
    client = label("client", client == null ? "unknown" : client);
    types = names("types", types);
    queues = names("queues", queues);
    if (types.isEmpty()) {
      throw new IllegalArgumentException("a worker must run at least one task type");
    }
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new IllegalArgumentException(
          "concurrency must be between 1 and " + MAX_CONCURRENCY + ": " + concurrency);
    }
  }

  private static void requireName(String what, String value) {
    Objects.requireNonNull(value, what);
    if (!TaskRequest.NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what + " must be 1 to 128 letters, digits or _.:- : '" + value + "'");
    }
  }

  private static String label(String what, String value) {
    if (!LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(what + " must be 1 to 100 printable ASCII characters");
    }
    return value;
  }

  private static Set<String> names(String what, Set<String> values) {
    if (values == null) {
      return Set.of();
    }
    if (values.size() > MAX_NAMES) {
      throw new IllegalArgumentException("at most " + MAX_NAMES + " " + what + ": " + values.size());
    }
    for (String v : values) {
      requireName(what.substring(0, what.length() - 1), v);
    }
    return java.util.Collections.unmodifiableSet(new TreeSet<>(values));
  }
}
