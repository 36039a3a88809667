package dev.tasklane;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * How a {@link Worker} runs. Immutable; start from {@link #defaults()} or {@link #builder()}.
 *
 * @param nodeId this node's name in leases and in the node registry. One live process holds an id at
 *     a time: a worker that asks for an id a live process holds fails to start ({@link
 *     NodeIdInUseException}). The default ({@link #uniqueNodeId()}) is new for every worker. A
 *     stable id (one per deployment slot) lets a restarted node take back the tasks its previous
 *     process left running as soon as that process is provably gone (its registration expired,
 *     or, on SQLite, at once), instead of when their leases expire
 * @param concurrency handlers running at once on this node, over all queues
 * @param defaultQueueLimit handlers running at once per queue when {@code queueLimits} names none
 * @param queueLimits per-queue concurrency limits on this node
 * @param maxQueued backlog bound per queue ({@code queued} + {@code scheduled}); past it
 *     submissions get {@link QueueFullException}
 * @param leaseDuration how long a claim holds a task without renewal
 * @param heartbeatInterval how often running tasks' leases are renewed; below {@code leaseDuration}
 * @param pollInterval longest wait between looks for work when nothing wakes the dispatcher
 * @param reapInterval how often expired leases of other nodes are looked for
 * @param shutdownTimeout how long {@link Worker#close()} lets running handlers finish
 * @param claimBatchSize most tasks claimed in one store call
 * @param claimAhead most tasks this node claims beyond its free handler slots, to start the moment
 *     a slot frees instead of after another claim; 0 turns claiming ahead off. The engine claims
 *     ahead only as many tasks as its handlers finished in the last 100 ms, so a node with slow
 *     handlers holds none back from other nodes
 * @param retention how long finished tasks are kept before the cluster leader deletes them; {@link
 *     Duration#ZERO} keeps them forever
 * @param clock time source, replaceable in tests
 */
public record WorkerConfig(
    String nodeId,
    int concurrency,
    int defaultQueueLimit,
    Map<String, Integer> queueLimits,
    long maxQueued,
    Duration leaseDuration,
    Duration heartbeatInterval,
    Duration pollInterval,
    Duration reapInterval,
    Duration shutdownTimeout,
    int claimBatchSize,
    int claimAhead,
    Duration retention,
    InstantSource clock) {

  /** 5, as the seed's {@code asyncio.Semaphore(5)}. */
  public static final int DEFAULT_CONCURRENCY = 5;
  public static final long DEFAULT_MAX_QUEUED = 100_000;
  public static final Duration DEFAULT_LEASE_DURATION = Duration.ofSeconds(30);
  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_REAP_INTERVAL = Duration.ofSeconds(5);
  public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_CLAIM_BATCH_SIZE = 256;
  public static final int DEFAULT_CLAIM_AHEAD = 256;
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

  public WorkerConfig {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(leaseDuration, "leaseDuration");
    Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
    Objects.requireNonNull(pollInterval, "pollInterval");
    Objects.requireNonNull(reapInterval, "reapInterval");
    Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(retention, "retention");
    if (retention.isNegative()) {
      throw new IllegalArgumentException("retention must not be negative: " + retention);
    }
    if (nodeId.isBlank() || nodeId.length() > 200) {
      throw new IllegalArgumentException("nodeId must have 1 to 200 characters");
    }
    if (concurrency < 1 || concurrency > 10_000) {
      throw new IllegalArgumentException("concurrency must be between 1 and 10000: " + concurrency);
    }
    if (defaultQueueLimit < 1) {
      throw new IllegalArgumentException("defaultQueueLimit must be positive: " + defaultQueueLimit);
    }
    queueLimits = Map.copyOf(queueLimits == null ? Map.of() : queueLimits);
    queueLimits.forEach(
        (queue, limit) -> {
          if (!TaskRequest.NAME.matcher(queue).matches()) {
            throw new IllegalArgumentException("invalid queue name '" + queue + "'");
          }
          if (limit < 1) {
            throw new IllegalArgumentException("limit of queue '" + queue + "' must be positive");
          }
        });
    if (maxQueued < 1) {
      throw new IllegalArgumentException("maxQueued must be positive: " + maxQueued);
    }
    requirePositive("leaseDuration", leaseDuration);
    requirePositive("heartbeatInterval", heartbeatInterval);
    requirePositive("pollInterval", pollInterval);
    requirePositive("reapInterval", reapInterval);
    if (shutdownTimeout.isNegative()) {
      throw new IllegalArgumentException("shutdownTimeout must not be negative");
    }
    if (heartbeatInterval.compareTo(leaseDuration) >= 0) {
      throw new IllegalArgumentException("heartbeatInterval must be shorter than leaseDuration");
    }
    if (claimBatchSize < 1) {
      throw new IllegalArgumentException("claimBatchSize must be positive: " + claimBatchSize);
    }
    if (claimAhead < 0 || claimAhead > 100_000) {
      throw new IllegalArgumentException("claimAhead must be between 0 and 100000: " + claimAhead);
    }
  }

  private static void requirePositive(String name, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }

  /** Every setting at its default; a node id of its own ({@link #uniqueNodeId()}). */
  public static WorkerConfig defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.nodeId = nodeId;
    b.concurrency = concurrency;
    b.defaultQueueLimit = defaultQueueLimit;
    b.queueLimits = new TreeMap<>(queueLimits);
    b.maxQueued = maxQueued;
    b.leaseDuration = leaseDuration;
    b.heartbeatInterval = heartbeatInterval;
    b.pollInterval = pollInterval;
    b.reapInterval = reapInterval;
    b.shutdownTimeout = shutdownTimeout;
    b.claimBatchSize = claimBatchSize;
    b.claimAhead = claimAhead;
    b.retention = retention;
    b.clock = clock;
    return b;
  }

  /** This node's concurrency limit for {@code queue}. */
  public int limitOf(String queue) {
    return Math.min(concurrency, queueLimits.getOrDefault(queue, defaultQueueLimit));
  }

  /**
   * A node id no other worker has: {@code <host>-<pid>-<4 hex digits>}, the digits random, so that
   * two workers of one process, or processes of equal pid on hosts of equal name (containers),
   * never share one.
   */
  public static String uniqueNodeId() {
    return hostName()
        + "-"
        + ProcessHandle.current().pid()
        + "-"
        + String.format(
            java.util.Locale.ROOT, "%04x", java.util.concurrent.ThreadLocalRandom.current().nextInt(0x10000));
  }

  /** The host name, or {@code "localhost"} when it cannot be found. */
  public static String hostName() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      return "localhost";
    }
  }

  /** Builds a {@link WorkerConfig}; {@link #build()} validates every value. */
  public static final class Builder {
    private String nodeId;
    private int concurrency = DEFAULT_CONCURRENCY;
    private Integer defaultQueueLimit;
    private Map<String, Integer> queueLimits = new TreeMap<>();
    private long maxQueued = DEFAULT_MAX_QUEUED;
    private Duration leaseDuration = DEFAULT_LEASE_DURATION;
    private Duration heartbeatInterval;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;
    private Duration reapInterval = DEFAULT_REAP_INTERVAL;
    private Duration shutdownTimeout = DEFAULT_SHUTDOWN_TIMEOUT;
    private int claimBatchSize = DEFAULT_CLAIM_BATCH_SIZE;
    private int claimAhead = DEFAULT_CLAIM_AHEAD;
    private Duration retention = DEFAULT_RETENTION;
    private InstantSource clock = InstantSource.system();

    private Builder() {}

    /** Default: {@link #uniqueNodeId()}, new for every worker. */
    public Builder nodeId(String id) {
      this.nodeId = id;
      return this;
    }

    /** Default {@value #DEFAULT_CONCURRENCY}; 1 to 10,000. */
    public Builder concurrency(int n) {
      this.concurrency = n;
      return this;
    }

    /** Default: the node's {@code concurrency}. */
    public Builder defaultQueueLimit(int n) {
      this.defaultQueueLimit = n;
      return this;
    }

    public Builder queueLimit(String queue, int limit) {
      this.queueLimits.put(queue, limit);
      return this;
    }

    /** Default {@value #DEFAULT_MAX_QUEUED}. */
    public Builder maxQueued(long n) {
      this.maxQueued = n;
      return this;
    }

    /** Default 30 s. The heartbeat interval defaults to a third of it. */
    public Builder leaseDuration(Duration d) {
      this.leaseDuration = d;
      return this;
    }

    public Builder heartbeatInterval(Duration d) {
      this.heartbeatInterval = d;
      return this;
    }

    /** Default 1 s. */
    public Builder pollInterval(Duration d) {
      this.pollInterval = d;
      return this;
    }

    /** Default 5 s. */
    public Builder reapInterval(Duration d) {
      this.reapInterval = d;
      return this;
    }

    /** Default 30 s. */
    public Builder shutdownTimeout(Duration d) {
      this.shutdownTimeout = d;
      return this;
    }

    /** Default {@value #DEFAULT_CLAIM_BATCH_SIZE}. */
    public Builder claimBatchSize(int n) {
      this.claimBatchSize = n;
      return this;
    }

    /** Default {@value #DEFAULT_CLAIM_AHEAD}; 0 claims only for free handler slots. */
    public Builder claimAhead(int n) {
      this.claimAhead = n;
      return this;
    }

    /** Default 7 days; {@link Duration#ZERO} keeps finished tasks forever. */
    public Builder retention(Duration d) {
      this.retention = d;
      return this;
    }

    public Builder clock(InstantSource c) {
      this.clock = c;
      return this;
    }

    /**
     * @throws IllegalArgumentException if a value is out of range
     */
    public WorkerConfig build() {
      Duration heartbeat =
          heartbeatInterval != null
              ? heartbeatInterval
              : leaseDuration == null ? null : leaseDuration.dividedBy(3);
      return new WorkerConfig(
          nodeId != null ? nodeId : uniqueNodeId(),
          concurrency,
          defaultQueueLimit != null ? defaultQueueLimit : concurrency,
          queueLimits,
          maxQueued,
          leaseDuration,
          heartbeat,
          pollInterval,
          reapInterval,
          shutdownTimeout,
          claimBatchSize,
          claimAhead,
          retention,
          clock);
    }
  }
}
