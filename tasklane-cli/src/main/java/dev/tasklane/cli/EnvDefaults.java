package dev.tasklane.cli;

import java.util.Map;
import java.util.Objects;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Environment fallbacks for options: a flag on the command line wins, then the {@code TASKLANE_*}
 * variable, then the option's built-in default. The variables are listed here, in one place, and
 * read from an injected map so that tests need not touch the real environment.
 */
final class EnvDefaults implements IDefaultValueProvider {

  /** Option name to environment variable. Options not listed have no environment fallback. */
  static final Map<String, String> VARIABLES =
      Map.ofEntries(
          Map.entry("--port", "TASKLANE_PORT"),
          Map.entry("--bind", "TASKLANE_BIND"),
          Map.entry("--db", "TASKLANE_DB"),
          Map.entry("--store", "TASKLANE_STORE"),
          Map.entry("--db-url", "TASKLANE_DB_URL"),
          Map.entry("--db-user", "TASKLANE_DB_USER"),
          Map.entry("--db-password", "TASKLANE_DB_PASSWORD"),
          Map.entry("--db-schema", "TASKLANE_DB_SCHEMA"),
          Map.entry("--db-pool-size", "TASKLANE_DB_POOL_SIZE"),
          Map.entry("--db-timeout", "TASKLANE_DB_TIMEOUT"),
          Map.entry("--listen", "TASKLANE_LISTEN"),
          Map.entry("--poll-interval", "TASKLANE_POLL_INTERVAL"),
          Map.entry("--retention", "TASKLANE_RETENTION"),
          Map.entry("--leader-timeout", "TASKLANE_LEADER_TIMEOUT"),
          Map.entry("--concurrency", "TASKLANE_CONCURRENCY"),
          Map.entry("--max-queued", "TASKLANE_MAX_QUEUED"),
          Map.entry("--max-queues", "TASKLANE_MAX_QUEUES"),
          Map.entry("--seed-task-duration", "TASKLANE_SEED_TASK_DURATION"),
          Map.entry("--queue-limit", "TASKLANE_QUEUE_LIMIT"),
          Map.entry("--node-id", "TASKLANE_NODE_ID"),
          Map.entry("--shutdown-timeout", "TASKLANE_SHUTDOWN_TIMEOUT"),
          Map.entry("--execution-log", "TASKLANE_EXECUTION_LOG"),
          Map.entry("--schedules", "TASKLANE_SCHEDULES"),
          Map.entry("--lease", "TASKLANE_LEASE"),
          Map.entry("--allowed-host", "TASKLANE_ALLOWED_HOSTS"),
          Map.entry("--allowed-origin", "TASKLANE_ALLOWED_ORIGINS"),
          Map.entry("--metrics-open", "TASKLANE_METRICS_OPEN"),
          Map.entry("--no-builtin-tasks", "TASKLANE_NO_BUILTIN_TASKS"),
          Map.entry("--webhook", "TASKLANE_WEBHOOKS"),
          Map.entry("--webhook-allow", "TASKLANE_WEBHOOK_ALLOW"),
          Map.entry("--webhook-secret", "TASKLANE_WEBHOOK_SECRET"),
          Map.entry("--webhook-timeout", "TASKLANE_WEBHOOK_TIMEOUT"),
          Map.entry("--insecure-open-on-network", "TASKLANE_INSECURE_OPEN_ON_NETWORK"),
          Map.entry("--token", "TASKLANE_TOKEN"),
          Map.entry("--tls-cert", "TASKLANE_TLS_CERT"),
          Map.entry("--tls-key", "TASKLANE_TLS_KEY"),
          Map.entry("--ca-cert", "TASKLANE_CA_CERT"),
          Map.entry("--server", "TASKLANE_SERVER"));

  private final Map<String, String> env;

  EnvDefaults(Map<String, String> env) {
    this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
  }

  /** The variable's value, or {@code null} (use the option's own default) when unset or blank. */
  @Override
  public String defaultValue(ArgSpec spec) {
    if (!(spec instanceof OptionSpec option)) {
      return null;
    }
    String variable = VARIABLES.get(option.longestName());
    if (variable == null) {
      return null;
    }
    String value = env.get(variable);
    return value == null || value.isBlank() ? null : value.strip();
  }
}
