package dev.tasklane.spi;

import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskPage;
import dev.tasklane.TaskQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link TaskStore} that forwards every call to another one. Stores built around a shared
 * implementation (both SQL stores wrap {@code JdbcTaskStore}) and decorators (metrics, tracing,
 * fault injection) extend it and override only what they change.
 *
 * <p>Stability: SPI.
 */
public abstract class ForwardingTaskStore implements TaskStore {
  private final TaskStore delegate;

  protected ForwardingTaskStore(TaskStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The store every call goes to. */
  protected TaskStore delegate() {
    return delegate;
  }

  @Override
  public Submission insert(NewTask task) {
    return delegate.insert(task);
  }

  @Override
  public List<Submission> insertAll(List<NewTask> tasks) {
    return delegate.insertAll(tasks);
  }

  @Override
  public BulkInsert insertStream(java.util.Iterator<NewTask> tasks, java.util.function.Consumer<Task> created) {
    return delegate.insertStream(tasks, created);
  }

  @Override
  public Optional<Task> find(TaskId id) {
    return delegate.find(id);
  }

  @Override
  public Task runNow(TaskId id, Instant now) {
    return delegate.runNow(id, now);
  }

  @Override
  public long countQueuedAhead(Task task) {
    return delegate.countQueuedAhead(task);
  }

  @Override
  public Optional<Task> findByIdempotencyKey(String idempotencyKey) {
    return delegate.findByIdempotencyKey(idempotencyKey);
  }

  @Override
  public TaskPage list(TaskQuery query) {
    return delegate.list(query);
  }

  @Override
  public List<QueueCounts> queueCounts() {
    return delegate.queueCounts();
  }

  @Override
  public Map<String, Long> waitingCounts() {
    return delegate.waitingCounts();
  }

  @Override
  public List<String> queueNames() {
    return delegate.queueNames();
  }

  @Override
  public Map<String, Boolean> queuePauses() {
    return delegate.queuePauses();
  }

  @Override
  public int promoteDue(Instant now, int limit) {
    return delegate.promoteDue(now, limit);
  }

  @Override
  public Optional<Instant> nextScheduledAt() {
    return delegate.nextScheduledAt();
  }

  @Override
  public ScheduleStore schedules() {
    return delegate.schedules();
  }

  @Override
  public RateStore rates() {
    return delegate.rates();
  }

  @Override
  public void announceTypes(Set<String> types) {
    delegate.announceTypes(types);
  }

  @Override
  public List<String> announcedTypes() {
    return delegate.announcedTypes();
  }

  @Override
  public List<Task> claim(ClaimRequest request) {
    return delegate.claim(request);
  }

  @Override
  public Map<RunRef, LeaseStatus> renewLeases(Collection<RunRef> runs, Duration lease) {
    return delegate.renewLeases(runs, lease);
  }

  @Override
  public boolean updateProgress(RunRef run, int percent) {
    return delegate.updateProgress(run, percent);
  }

  @Override
  public Task finishRun(RunRef run, RunOutcome outcome) {
    return delegate.finishRun(run, outcome);
  }

  @Override
  public RunWrites.Result writeRuns(RunWrites writes) {
    return delegate.writeRuns(writes);
  }

  @Override
  public Task requestCancel(TaskId id, Instant now) {
    return delegate.requestCancel(id, now);
  }

  @Override
  public Task retry(TaskId id, Instant now) {
    return delegate.retry(id, now);
  }

  @Override
  public List<Task> expiredLeases(int limit) {
    return delegate.expiredLeases(limit);
  }

  @Override
  public List<Task> leasesOf(String nodeId) {
    return delegate.leasesOf(nodeId);
  }

  @Override
  public Map<RunRef, Task> recoverExpired(Map<RunRef, RunOutcome> outcomes) {
    return delegate.recoverExpired(outcomes);
  }

  @Override
  public QueueRemoval deleteQueue(String queue) {
    return delegate.deleteQueue(queue);
  }

  @Override
  public void setQueueLimit(String queue, Integer limit) {
    delegate.setQueueLimit(queue, limit);
  }

  @Override
  public Map<String, Integer> queueLimits() {
    return delegate.queueLimits();
  }

  @Override
  public void setQueuePaused(String queue, boolean paused) {
    delegate.setQueuePaused(queue, paused);
  }

  @Override
  public List<String> pausedQueues() {
    return delegate.pausedQueues();
  }

  @Override
  public NodeRecord claimNode(NodeInfo node, Duration lease) {
    return delegate.claimNode(node, lease);
  }

  @Override
  public boolean heartbeatNode(NodeInfo node, Duration lease) {
    return delegate.heartbeatNode(node, lease);
  }

  @Override
  public void removeNode(NodeInfo node) {
    delegate.removeNode(node);
  }

  @Override
  public List<NodeRecord> nodes() {
    return delegate.nodes();
  }

  @Override
  public int pruneNodes(Duration silentFor) {
    return delegate.pruneNodes(silentFor);
  }

  @Override
  public int deleteFinishedBefore(Instant cutoff, int limit) {
    return delegate.deleteFinishedBefore(cutoff, limit);
  }

  @Override
  public LeaderElection leaderElection(String nodeId) {
    return delegate.leaderElection(nodeId);
  }

  @Override
  public AutoCloseable subscribe(WorkSignal onWork) {
    return delegate.subscribe(onWork);
  }

  @Override
  public void ping() {
    delegate.ping();
  }

  @Override
  public void close() {
    delegate.close();
  }
}
