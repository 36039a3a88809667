package dev.tasklane.bench;

/** The code of one scenario: runs it once on the context's fresh database. */
interface ScenarioRunner {

  /**
   * Runs the scenario once; whatever it opened is closed when it returns or throws.
   *
   * @throws BenchException if it cannot finish (a stall, a refused start)
   */
  Measurement run(RunContext ctx) throws Exception;

  /** The runner of {@code scenario}. */
  static ScenarioRunner of(Scenario scenario) {
    return switch (scenario) {
      case DRAIN, BACKLOG -> new DrainScenario();
      case ENQUEUE_SINGLE -> EnqueueScenario.single();
      case ENQUEUE_BATCH -> EnqueueScenario.batches();
      case HTTP -> new HttpScenario();
      case LATENCY -> new LatencyScenario();
      case REMOTE_DRAIN -> RemoteScenario.javaDrain();
      case REMOTE_DRAIN_PYTHON -> RemoteScenario.pythonDrain();
      case REMOTE_LATENCY -> RemoteScenario.latency();
    };
  }
}
