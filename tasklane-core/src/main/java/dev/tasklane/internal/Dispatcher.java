package dev.tasklane.internal;

import dev.tasklane.Task;
import dev.tasklane.WorkerConfig;
import dev.tasklane.spi.ClaimRequest;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims work and hands it out: the {@code tasklane-dispatcher} thread. One pass ({@link
 * #dispatchOnce()}) brings the {@link QueueView} up to date, starts runs claimed ahead that now
 * have a slot, then claims from each queue, rotating the starting queue so that none starves the
 * others of the node's slots. Between passes it sleeps until woken (a submission, a freed slot, a
 * notification) or until the next due time or poll interval.
 *
 * <h2>Claiming ahead</h2>
 *
 * Besides a task for every free slot, it claims up to {@link ClaimAhead}'s allowance more (what
 * the queue's handlers finished in the last 100 ms, at most {@link WorkerConfig#claimAhead()} for
 * the node), and keeps them in {@link AheadLines} until a slot frees. The allowance is the queue's
 * own: a queue whose handlers are slow gets nothing claimed ahead however fast another's are. They are leased, not started: their attempt is
 * spent only when their start is written, as their handler begins, so a node that dies holding
 * them costs them nothing. A queue is topped up when its line falls to half its share of the
 * allowance, so a busy node claims in large batches rather than once per finished task. The node
 * holds at most {@code concurrency + claimAhead} runs in line or in a slot, and at most four
 * times that many leases counting runs whose outcome is still being written.
 *
 * <p>Only this thread acquires slots ({@link ConcurrencyLimits}), so the free slots it counts can
 * only grow until it takes them.
 */
final class Dispatcher {
  private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
  private static final Duration FIRST_ERROR_BACKOFF = Duration.ofMillis(100);
  private static final Duration MAX_ERROR_BACKOFF = Duration.ofSeconds(5);

  private final TaskStore store;
  private final WorkerConfig config;
  private final QueueView view;
  private final ConcurrencyLimits limits;
  private final Backlog backlog;
  private final RunRegistry registry;
  private final RunExecutor executor;
  private final Wakeup wakeup;
  private final BooleanSupplier mayClaim;
  private final LongSupplier nanoTime;
  private final AheadLines lines = new AheadLines();
  /** Per queue: its claim-ahead rate, and its handler runs that returned. */
  private final ConcurrentMap<String, QueueRate> rates = new ConcurrentHashMap<>();
  /** Most runs in line or in a slot. */
  private final int maxActive;
  /** Most leases held in all, counting runs whose outcome is still being written. */
  private final int maxHeld;
  private final AtomicBoolean running = new AtomicBoolean(true);
  /**
   * The least room among the leases that a claim held back by {@link #maxHeld} (outcomes still
   * being written) wanted since the last wake, or 0: the run whose leaving makes that room wakes
   * the loop.
   */
  private volatile int heldBackFor;
  /** Set when a run in line may have been stopped: the next pass sweeps it out. */
  private volatile boolean sweep;
  private int rotation;
  /** The types this node claims, or null for any: see {@link #claimOnly}. */
  private volatile Set<String> claimTypes;
  private final RateGate rateGate;

  /**
   * @param mayClaim false while this node must not take new work (its node id was taken over)
   */
  Dispatcher(
      TaskStore store,
      WorkerConfig config,
      QueueView view,
      ConcurrencyLimits limits,
      Backlog backlog,
      RunRegistry registry,
      RunExecutor executor,
      Wakeup wakeup,
      BooleanSupplier mayClaim,
      LongSupplier nanoTime,
      RateGate rateGate) {
    this.rateGate = rateGate;
    this.store = store;
    this.config = config;
    this.view = view;
    this.limits = limits;
    this.backlog = backlog;
    this.registry = registry;
    this.executor = executor;
    this.wakeup = wakeup;
    this.mayClaim = mayClaim;
    this.nanoTime = nanoTime;
    this.maxActive = config.concurrency() + config.claimAhead();
    this.maxHeld = 4 * maxActive;
  }

  /**
   * Claims only tasks of {@code types} from now on: the queues hold tasks that remote workers run,
   * which this node must pass over rather than claim and give back.
   */
  void claimOnly(Set<String> types) {
    claimTypes = Set.copyOf(types);
    wakeup.wake();
  }

  /** The loop of the dispatcher thread, until {@link #stopClaiming()}. */
  void loop() {
    Duration errorBackoff = FIRST_ERROR_BACKOFF;
    while (running.get()) {
      try {
        Instant next = dispatchOnce();
        errorBackoff = FIRST_ERROR_BACKOFF;
        if (next != Instant.MIN) {
          wakeup.await(untilNext(next), running::get);
        }
      } catch (Throwable t) {
        if (!running.get()) {
          break;
        }
        log.error("dispatcher failed; retrying in {} ms", errorBackoff.toMillis(), t);
        wakeup.sleep(errorBackoff, running::get);
        errorBackoff = Loops.min(errorBackoff.multipliedBy(2), MAX_ERROR_BACKOFF);
      }
    }
  }

  private Duration untilNext(Instant next) {
    Duration wait = Duration.between(config.clock().instant(), next);
    return wait.isNegative() ? Duration.ZERO : Loops.min(wait.plusMillis(1), config.pollInterval());
  }

  /** Ends the loop at its next check; claimed-ahead runs stay in line for {@link #releaseAll()}. */
  void stopClaiming() {
    running.set(false);
    wakeup.wake();
  }

  boolean isClaiming() {
    return running.get();
  }

  /**
   * A slot was given back: release it and wake the loop to fill it.
   *
   * @param handlerRan whether a handler ran in it (counted for the queue's claim-ahead rate)
   */
  void slotFreed(String queue, boolean handlerRan) {
    limits.release(queue, 1);
    if (handlerRan) {
      rate(queue).finished.increment();
    }
    wakeup.wake();
  }

  private QueueRate rate(String queue) {
    return rates.computeIfAbsent(queue, q -> new QueueRate(new ClaimAhead(config.claimAhead())));
  }

  /** A queue's handlers that returned, and the claim-ahead allowance measured from them. */
  private record QueueRate(ClaimAhead claimAhead, LongAdder finished) {
    QueueRate(ClaimAhead claimAhead) {
      this(claimAhead, new LongAdder());
    }

    int allowance(long now) {
      return claimAhead.allowance(now, finished.sum());
    }
  }

  /**
   * A run left the registry (its outcome written): if a claim waits for room among the leases
   * held, wake the loop once there is room for it. Without this, a node whose writes lag its
   * handlers would wait out a whole poll interval each time the bound was reached.
   */
  void runLeft() {
    int wanted = heldBackFor;
    if (wanted > 0 && maxHeld - registry.size() >= wanted) {
      heldBackFor = 0;
      wakeup.wake();
    }
  }

  /** A run in line may have been stopped (cancel, lost lease): sweep it out at the next pass. */
  void runStopped() {
    sweep = true;
    wakeup.wake();
  }

  /**
   * One pass.
   *
   * @return when to look again on its own: the next due time or poll; {@link Instant#MIN} when the
   *     pass filled every slot it could and more work may be waiting
   */
  Instant dispatchOnce() {
    Instant now = config.clock().instant();
    boolean more = view.refresh(now);
    if (sweep) {
      sweep = false;
      lines.removeStopped().forEach(executor::finishUnstarted);
    }
    Set<String> paused = view.paused();
    // A paused queue's tasks claimed ahead go back (never started, so nothing to refund), so that
    // nothing of the queue starts once this node knows of the pause.
    for (Run run : lines.removeQueues(paused)) {
      run.stop(Run.StopReason.QUEUE_PAUSED);
      executor.finishUnstarted(run);
    }
    List<String> queues = view.queues();
    int n = queues.size();
    if (n == 0) {
      return more ? Instant.MIN : view.nextLook();
    }
    int start = Math.floorMod(rotation++, n);
    for (int i = 0; i < n; i++) {
      startWaiting(queues.get((start + i) % n));
    }
    long nanos = nanoTime.getAsLong();
    for (int i = 0; i < n && running.get() && mayClaim.getAsBoolean(); i++) {
      String queue = queues.get((start + i) % n);
      if (!paused.contains(queue) && claimFrom(queue, rate(queue).allowance(nanos), now)) {
        more = true;
      }
    }
    if (more && limits.globalAvailable() == 0 && lines.total() > 0) {
      more = false; // every slot is busy and tasks wait: the next freed slot wakes the loop
    }
    return more ? Instant.MIN : view.nextLook();
  }

  /**
   * Claims from {@code queue}: a started run for each free slot, and runs ahead as {@link
   * #claimWanted} allows. Returns true if the claim took all it asked for (more may be waiting).
   */
  private boolean claimFrom(String queue, int allowance, Instant now) {
    int free = lines.waiting(queue) == 0 ? limits.available(queue) : 0;
    int want = claimWanted(queue, free, allowance);
    if (want <= 0) {
      return false;
    }
    // Read after the free slots: a slot counted free was given back after its run's outcome was
    // sent. While such an outcome is unwritten, the runs for free slots are claimed ahead and
    // started through the writer, behind it, so the store never shows more runs started on this
    // node than it has slots (a start in this claim's own transaction could commit first).
    // A queue a rate limit may hold is claimed ahead only: the gate decides what starts.
    boolean gated = rateGate.gates(queue);
    int startNow = gated || executor.outcomesPending() ? 0 : Math.min(free, want);
    long claimSent = nanoTime.getAsLong();
    long epoch = backlog.epoch();
    ClaimRequest request =
        new ClaimRequest(queue, want, startNow, config.nodeId(), now, config.leaseDuration());
    Set<String> types = claimTypes;
    List<Task> claimed = store.claim(types == null ? request : request.ofTypes(types));
    backlog.removed(queue, claimed.size(), epoch);
    int took = claimed.size();
    boolean held = false;
    if (gated && !claimed.isEmpty()) {
      RateGate.Passed passed = rateGate.pass(store, claimed);
      claimed = passed.startNow();
      if (passed.held() > 0) {
        // Held tasks wait as scheduled ones, so the queue's next claims do not meet them again;
        // the pass ends here rather than claim on at once (a claim per look finds what is new).
        held = true;
        backlog.added(queue, passed.held());
        view.submitted(queue, passed.firstHeldUntil(), true);
      }
    }
    if (!running.get()) {
      // Shutdown began while the claim ran: give everything back rather than start it.
      for (Task task : claimed) {
        Run run = executor.newRun(task, claimSent);
        run.stop(Run.StopReason.SHUTDOWN);
        executor.finishUnstarted(run);
      }
      return false;
    }
    for (Task task : claimed) {
      Run run = executor.newRun(task, claimSent);
      if (run.isStarted()) {
        // Claimed for a slot that is free (slots only free up behind this thread's back).
        limits.acquire(queue, 1);
        executor.launch(run);
      } else {
        lines.add(queue, run);
      }
    }
    startWaiting(queue); // slots may have freed while the claim ran
    return !held && took == want;
  }

  /**
   * How many tasks to claim from {@code queue} now: one for each free slot, plus, once the tasks
   * already waiting in this queue's line fall to half of its allowance (the queue's own rate,
   * within what the node's {@code claimAhead} leaves after the other queues' lines), enough to
   * fill it again; never more than a claim batch or than the node's lease bound allows.
   */
  private int claimWanted(String queue, int free, int allowance) {
    int waitingHere = lines.waiting(queue);
    int aheadHere =
        Math.max(0, Math.min(allowance, config.claimAhead() - (lines.total() - waitingHere)));
    int topUp = waitingHere <= aheadHere / 2 ? aheadHere - waitingHere : 0;
    int want = Math.min(config.claimBatchSize(), free + topUp);
    int active = lines.total() + limits.inFlight();
    want = Math.min(want, maxActive - active);
    int room = maxHeld - registry.size();
    if (room < want) {
      // runLeft wakes the loop once that much room is back; of several queues held back, the
      // one wanting least decides, as room for it is worth a pass.
      int wanted = heldBackFor;
      if (wanted == 0 || want < wanted) {
        heldBackFor = Math.max(1, want);
      }
      runLeft(); // room may have come back while this pass measured it
    }
    return Math.min(want, room);
  }

  /** Starts the runs in {@code queue}'s line that have a slot now, in claim order. */
  private void startWaiting(String queue) {
    while (lines.waiting(queue) > 0 && limits.available(queue) > 0) {
      Run run = lines.poll(queue);
      if (run.stopReason() != null) {
        executor.finishUnstarted(run);
        continue;
      }
      limits.acquire(queue, 1);
      executor.launch(run);
    }
  }

  /**
   * Gives every run still in line back to its queue (shutdown): they never started. Call only once
   * the loop has ended.
   */
  void releaseAll() {
    for (Run run : lines.removeAll()) {
      run.stop(Run.StopReason.SHUTDOWN);
      executor.finishUnstarted(run);
    }
  }
}
