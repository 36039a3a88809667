package dev.tasklane.bench;

import dev.tasklane.Worker;
import java.util.Collections;
import java.util.stream.Stream;

/** Tasklane's producer: a node that is never started, submitting through {@code Worker}. */
final class TasklaneProducer implements Producer {
  private final Worker worker;

  private TasklaneProducer(Worker worker) {
    this.worker = worker;
  }

  static Producer open(RunContext ctx) {
    return new TasklaneProducer(
        BenchNodes.noopWorker(ctx.db().open(), ctx.nodeId("producer"), ctx.config().concurrency()));
  }

  @Override
  public void submitOne() {
    worker.submit(BenchNodes.NOOP_REQUEST);
  }

  @Override
  public void submitMany(int n) {
    worker.submitAll(Collections.nCopies(n, BenchNodes.NOOP_REQUEST));
  }

  @Override
  public void submitBulk(int n) {
    worker.submitBulk(Stream.generate(() -> BenchNodes.NOOP_REQUEST).limit(n));
  }

  @Override
  public void close() {
    worker.close();
  }
}
