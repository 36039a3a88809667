package dev.tasklane.internal;

import dev.tasklane.Task;
import dev.tasklane.spi.LeaderElection;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.RunWrites;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's chores, done by its leader ({@code tasklane-maintenance} thread): recover runs
 * whose lease expired, forget nodes whose heartbeat stopped, delete finished tasks past
 * retention, rate-limit buckets and reservations gone stale. Other nodes only keep trying to lead, so a leader's death is covered at the next tick
 * of whichever node takes over. Every node also refreshes its backlog counts here.
 *
 * <p>Recovery reads the expired runs, lets {@link Transitions} decide what becomes of each, and
 * writes that with {@link TaskStore#recoverExpired}, which checks again that each lease is still
 * expired: the store holds no recovery policy of its own. A run this node still holds (its
 * renewals failed for a while, say) is left to this node's own lease keeper.
 */
final class Maintenance {
  private static final Logger log = LoggerFactory.getLogger(Maintenance.class);
  private static final int RECOVERY_BATCH = 1000;
  private static final int RETENTION_BATCH = 1000;
  /** A node whose heartbeat stopped this long ago is removed from the registry by the leader. */
  private static final Duration NODE_EXPIRY_MIN = Duration.ofMinutes(1);

  private final TaskStore store;
  private final LeaderElection election;
  private final Transitions transitions;
  private final RunRegistry registry;
  private final Backlog backlog;
  private final EngineStats stats;
  private final InstantSource clock;
  private final Duration nodeExpiry;
  private final Duration retention;
  private final Runnable workMayBeReady;
  private final BooleanSupplier running;
  private final RateGate rateGate;
  private volatile boolean leader;

  Maintenance(
      TaskStore store,
      LeaderElection election,
      Transitions transitions,
      RunRegistry registry,
      Backlog backlog,
      EngineStats stats,
      InstantSource clock,
      Duration heartbeatInterval,
      Duration retention,
      Runnable workMayBeReady,
      BooleanSupplier running,
      RateGate rateGate) {
    this.rateGate = rateGate;
    this.store = store;
    this.election = election;
    this.transitions = transitions;
    this.registry = registry;
    this.backlog = backlog;
    this.stats = stats;
    this.clock = clock;
    this.nodeExpiry = Loops.max(NODE_EXPIRY_MIN, heartbeatInterval.multipliedBy(10));
    this.retention = retention;
    this.workMayBeReady = workMayBeReady;
    this.running = running;
  }

  boolean isLeader() {
    return leader;
  }

  /** One tick: try to lead; as leader, recover, prune and apply retention. */
  void tick() {
    boolean leads = election.tryLead();
    if (leads != leader) {
      leader = leads;
      log.info(leads ? "this node now leads cluster maintenance" : "this node no longer leads cluster maintenance");
    }
    if (!leads) {
      return;
    }
    recoverExpired();
    int pruned = store.pruneNodes(nodeExpiry);
    if (pruned > 0) {
      log.info("removed {} node(s) whose heartbeat stopped over {} ago", pruned, nodeExpiry);
    }
    rateGate.prune();
    if (!retention.isZero()) {
      Instant cutoff = clock.instant().minus(retention);
      int deleted;
      do {
        deleted = store.deleteFinishedBefore(cutoff, RETENTION_BATCH);
      } while (deleted == RETENTION_BATCH && running.getAsBoolean());
    }
  }

  /** Recovers runs whose lease expired by the store's clock; returns how many. */
  int recoverExpired() {
    List<Task> expired = store.expiredLeases(RECOVERY_BATCH);
    if (expired.isEmpty()) {
      return 0;
    }
    Instant now = clock.instant();
    Map<RunRef, RunOutcome> outcomes = new LinkedHashMap<>();
    for (Task t : expired) {
      if (registry.holds(t.id())) {
        continue; // still running here: this node's lease keeper renews it or stops it
      }
      outcomes.put(
          new RunRef(t.id(), t.fencingToken()),
          transitions.afterLostLease(t, Transitions.LostLease.EXPIRED, now));
    }
    return recorded(store.recoverExpired(outcomes), outcomes);
  }

  /**
   * Takes back the runs left under this node's id by the process that held it before (it died:
   * {@link NodeMembership#join()} made sure), whatever their leases' expiry.
   */
  int recoverOwn(String nodeId) {
    List<Task> left = store.leasesOf(nodeId);
    if (left.isEmpty()) {
      return 0;
    }
    Instant now = clock.instant();
    Map<RunRef, RunOutcome> outcomes = new LinkedHashMap<>();
    for (Task t : left) {
      outcomes.put(
          new RunRef(t.id(), t.fencingToken()),
          transitions.afterLostLease(t, Transitions.LostLease.NODE_RESTARTED, now));
    }
    Map<RunRef, Task> written = store.writeRuns(RunWrites.finishing(outcomes)).finished();
    int n = recorded(written, outcomes);
    if (n > 0) {
      log.warn("took back {} task(s) left running under this node's id ({}) by its previous process", n, nodeId);
    }
    return n;
  }

  private int recorded(Map<RunRef, Task> written, Map<RunRef, RunOutcome> outcomes) {
    for (Map.Entry<RunRef, Task> e : written.entrySet()) {
      Task t = e.getValue();
      if (outcomes.get(e.getKey()) instanceof RunOutcome.Released) {
        backlog.added(t.queue(), 1);
      }
      log.warn("task {} recovered from a lost lease; now {}", t.id(), t.state().apiName());
    }
    stats.recovered.add(written.size());
    if (!written.isEmpty()) {
      workMayBeReady.run();
    }
    return written.size();
  }

  /** Re-reads the backlog counts (see {@link Backlog} for how the read's races are settled). */
  void refreshBacklog() {
    backlog.refresh(store::waitingCounts);
  }
}
