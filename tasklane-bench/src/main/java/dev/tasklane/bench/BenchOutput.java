package dev.tasklane.bench;

/** Where {@link Bench} reports: facts first, then results and progress as they come. */
public interface BenchOutput {

  /** Before the first scenario: the machine and store the figures come from. */
  void start(MachineFacts facts);

  /** A run finished (or, after several runs, their median). */
  void result(Result result);

  /** After a scenario's runs with a peer compared: both sides and their ratios. */
  void comparison(Comparison comparison);

  /** A run could not finish; the next one still runs. */
  void failed(Scenario scenario, Contender contender, int run, Exception error);

  /** How a run is getting on; for a human watching. */
  void progress(Scenario scenario, Contender contender, int run, String message);

  /** After the last scenario. */
  void finish();
}
