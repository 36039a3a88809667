package dev.tasklane.bench;

import java.util.Optional;

/** The code of one scenario: runs it once on the context's fresh database. */
interface ScenarioRunner {

  /**
   * Runs the scenario once; whatever it opened is closed when it returns or throws.
   *
   * @throws BenchException if it cannot finish (a stall, a refused start)
   */
  Measurement run(RunContext ctx) throws Exception;

  /** The runner of {@code scenario} for {@code contender}; empty where the peer has none. */
  static Optional<ScenarioRunner> of(Contender contender, Scenario scenario) {
    return switch (contender) {
      case TASKLANE -> Optional.of(of(scenario));
      case DB_SCHEDULER -> DbSchedulerScenarios.of(scenario);
    };
  }

  /** Tasklane's runner of {@code scenario}. */
  static ScenarioRunner of(Scenario scenario) {
    return switch (scenario) {
      case DRAIN, BACKLOG -> new DrainScenario();
      case ENQUEUE_SERIAL -> EnqueueScenario.serial(TasklaneProducer::open);
      case ENQUEUE_SINGLE -> EnqueueScenario.single(TasklaneProducer::open);
      case ENQUEUE_BATCH -> EnqueueScenario.batches(TasklaneProducer::open);
      case ENQUEUE_BULK -> EnqueueScenario.bulk(TasklaneProducer::open);
      case HTTP -> new HttpScenario();
      case LATENCY -> new LatencyScenario();
      case REMOTE_DRAIN -> RemoteScenario.javaDrain();
      case REMOTE_DRAIN_PYTHON -> RemoteScenario.pythonDrain();
      case REMOTE_LATENCY -> RemoteScenario.latency();
      case DRAIN_RATE_LIMITED -> new RateLimitedScenario();
    };
  }
}
