package dev.tasklane.bench;

import java.util.Objects;

/**
 * Tasklane beside a peer in one scenario: the two rows that summarize their runs (medians after
 * several runs), and their ratios, each oriented so that above 1 means Tasklane did better.
 *
 * @param tasklane Tasklane's row
 * @param peer the peer's row, of the same scenario and store
 */
public record Comparison(Result tasklane, Result peer) {

  public Comparison {
    Objects.requireNonNull(tasklane, "tasklane");
    Objects.requireNonNull(peer, "peer");
    if (tasklane.contender() != Contender.TASKLANE || peer.contender() == Contender.TASKLANE) {
      throw new IllegalArgumentException("a comparison sets Tasklane's row beside a peer's");
    }
    if (tasklane.scenario() != peer.scenario() || tasklane.store() != peer.store()) {
      throw new IllegalArgumentException("rows of different scenarios or stores");
    }
  }

  public Scenario scenario() {
    return tasklane.scenario();
  }

  /**
   * Tasklane's tasks/s over the peer's; {@code null} where the rate is set by the scenario (a fixed
   * submission rate) rather than measured.
   */
  public Double throughputRatio() {
    if (scenario() == Scenario.LATENCY || peer.tasksPerSec() <= 0) {
      return null;
    }
    return tasklane.tasksPerSec() / peer.tasksPerSec();
  }

  /** The peer's p50 over Tasklane's (above 1: Tasklane's is shorter); {@code null} without latencies. */
  public Double p50Ratio() {
    return latencyRatio(tasklane.p50Ms(), peer.p50Ms());
  }

  /** The peer's p99 over Tasklane's (above 1: Tasklane's is shorter); {@code null} without latencies. */
  public Double p99Ratio() {
    return latencyRatio(tasklane.p99Ms(), peer.p99Ms());
  }

  private static Double latencyRatio(Double ours, Double theirs) {
    if (ours == null || theirs == null || ours <= 0) {
      return null;
    }
    return theirs / ours;
  }
}
