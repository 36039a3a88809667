package dev.tasklane.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResultTest {

  @Test
  void aRunsRowTakesTasksPerSecondFromItsMeasurement() {
    Measurement m = new Measurement(1000, 4.0, new Percentiles(1, 2, 3), 0);

    Result r = Result.of(Scenario.DRAIN, Contender.TASKLANE, StoreKind.SQLITE, 2, 3, m, 120.5);

    assertThat(r.tasksPerSec()).isEqualTo(250.0);
    assertThat(r.run()).isEqualTo(2);
    assertThat(r.runs()).isEqualTo(3);
    assertThat(r.p99Ms()).isEqualTo(3.0);
    assertThat(r.isMedian()).isFalse();
    assertThat(Result.of(Scenario.DRAIN, Contender.TASKLANE, StoreKind.SQLITE, 1, 1, new Measurement(5, 1, null, 0), null).p50Ms())
        .isNull();
  }

  @Test
  void medianTakesTheMiddleOfEachFigureAndSumsErrors() {
    List<Result> runs =
        List.of(
            run(1, 100, 10.0, 5.0, 1),
            run(2, 300, 30.0, 1.0, 0),
            run(3, 200, 20.0, 3.0, 2));

    Result median = Result.median(runs);

    assertThat(median.isMedian()).isTrue();
    assertThat(median.runs()).isEqualTo(3);
    assertThat(median.tasksPerSec()).isEqualTo(200.0);
    assertThat(median.seconds()).isEqualTo(20.0);
    assertThat(median.p50Ms()).isEqualTo(3.0);
    assertThat(median.errors()).isEqualTo(3);
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwoAndStaysNullWhereNoRunHasAFigure() {
    Result median = Result.median(List.of(run(1, 100, 1, null, 0), run(2, 200, 2, null, 0)));

    assertThat(median.tasksPerSec()).isEqualTo(150.0);
    assertThat(median.p50Ms()).isNull();
    assertThat(Result.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
  }

  @Test
  void medianRefusesNothingAndMixedScenarios() {
    assertThatThrownBy(() -> Result.median(List.of())).isInstanceOf(IllegalArgumentException.class);
    Result other =
        new Result(Scenario.HTTP, Contender.TASKLANE, StoreKind.SQLITE, 1, 2, 1, 1, 1, null, null, null, null, 0);
    assertThatThrownBy(() -> Result.median(List.of(run(1, 1, 1, null, 0), other)))
        .isInstanceOf(IllegalArgumentException.class);
    Result peers =
        new Result(Scenario.DRAIN, Contender.DB_SCHEDULER, StoreKind.POSTGRES, 2, 3, 1000, 1, 1, null, null, null, null, 0);
    assertThatThrownBy(() -> Result.median(List.of(run(1, 1, 1, null, 0), peers)))
        .hasMessageContaining("contenders");
  }

  @Test
  void aComparisonOrientsEveryRatioSoThatAboveOneMeansTasklaneAhead() {
    Result ours =
        new Result(Scenario.ENQUEUE_SERIAL, Contender.TASKLANE, StoreKind.POSTGRES, null, 3, 20_000, 5, 4000, 0.25, 0.4, 0.8, 30.0, 0);
    Result theirs =
        new Result(Scenario.ENQUEUE_SERIAL, Contender.DB_SCHEDULER, StoreKind.POSTGRES, null, 3, 20_000, 10, 2000, 0.5, 0.6, 0.4, 40.0, 0);

    Comparison c = new Comparison(ours, theirs);

    assertThat(c.throughputRatio()).isEqualTo(2.0);
    assertThat(c.p50Ratio()).isEqualTo(2.0); // theirs takes twice as long
    assertThat(c.p99Ratio()).isEqualTo(0.5); // theirs is the shorter
  }

  @Test
  void aLatencyComparisonHasNoThroughputRatioAndAComparisonRefusesMismatchedRows() {
    Result ours = new Result(Scenario.LATENCY, Contender.TASKLANE, StoreKind.POSTGRES, 1, 1, 500, 10, 50, 1.0, 2.0, 4.0, 30.0, 0);
    Result theirs = new Result(Scenario.LATENCY, Contender.DB_SCHEDULER, StoreKind.POSTGRES, 1, 1, 500, 10, 50, 2.0, 4.0, 8.0, 30.0, 0);

    assertThat(new Comparison(ours, theirs).throughputRatio()).isNull();
    assertThat(new Comparison(ours, theirs).p99Ratio()).isEqualTo(2.0);
    assertThatThrownBy(() -> new Comparison(theirs, ours)).isInstanceOf(IllegalArgumentException.class);
    Result drain = new Result(Scenario.DRAIN, Contender.DB_SCHEDULER, StoreKind.POSTGRES, 1, 1, 500, 10, 50, null, null, null, 30.0, 0);
    assertThatThrownBy(() -> new Comparison(ours, drain)).hasMessageContaining("different scenarios");
  }

  private static Result run(int run, double tasksPerSec, double seconds, Double p50, long errors) {
    return new Result(
        Scenario.DRAIN, Contender.TASKLANE, StoreKind.POSTGRES, run, 3, 1000, seconds, tasksPerSec, p50, p50, p50, 64.0, errors);
  }
}
