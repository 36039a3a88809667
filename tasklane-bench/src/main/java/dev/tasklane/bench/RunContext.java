package dev.tasklane.bench;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * What a scenario run gets: the configuration, its size, a fresh database and a place to say how
 * it is getting on.
 *
 * @param config the whole benchmark's settings
 * @param scenario the scenario running
 * @param tasks its size ({@link BenchConfig#tasksFor}); 0 for "by time" where the scenario allows
 * @param db a database of its own
 * @param progress receives progress lines (printed on stderr)
 */
record RunContext(
    BenchConfig config, Scenario scenario, int tasks, FreshDatabase db, Consumer<String> progress) {

  /** Says something about the run's progress, formatted in the root locale. */
  void say(String format, Object... args) {
    progress.accept(String.format(Locale.ROOT, format, args));
  }

  /** A node id for this scenario, e.g. {@code bench-drain}, with {@code suffix} if not empty. */
  String nodeId(String suffix) {
    return "bench-" + scenario.id() + (suffix.isEmpty() ? "" : "-" + suffix);
  }
}
