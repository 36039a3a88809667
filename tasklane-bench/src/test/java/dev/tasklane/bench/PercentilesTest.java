package dev.tasklane.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PercentilesTest {

  @Test
  void nearestRankOfOneToHundredIsTheValueAtThatRank() {
    long[] values = LongStream.rangeClosed(1, 100).toArray();

    assertThat(Percentiles.nearestRank(values, 50)).isEqualTo(50);
    assertThat(Percentiles.nearestRank(values, 95)).isEqualTo(95);
    assertThat(Percentiles.nearestRank(values, 99)).isEqualTo(99);
    assertThat(Percentiles.nearestRank(values, 100)).isEqualTo(100);
  }

  @Test
  void nearestRankRoundsTheRankUpAndNeverInterpolates() {
    long[] ten = LongStream.rangeClosed(1, 10).map(v -> v * 10).toArray();

    assertThat(Percentiles.nearestRank(ten, 50)).isEqualTo(50); // rank 5
    assertThat(Percentiles.nearestRank(ten, 95)).isEqualTo(100); // rank ceil(9.5) = 10
    assertThat(Percentiles.nearestRank(ten, 1)).isEqualTo(10); // rank ceil(0.1) = 1
    assertThat(Percentiles.nearestRank(new long[] {7}, 99)).isEqualTo(7);
  }

  @Test
  void wholePercentsOfRoundCountsHitTheirRankExactly() {
    // 0.29 * 100 is 28.999999999999996 in floating point: the rank must still be 29.
    long[] values = LongStream.rangeClosed(1, 100).toArray();

    assertThat(Percentiles.nearestRank(values, 29)).isEqualTo(29);
    assertThat(Percentiles.nearestRank(LongStream.rangeClosed(1, 1000).toArray(), 99)).isEqualTo(990);
  }

  @Test
  void ofNanosSortsAndConvertsToMilliseconds() {
    long[] nanos = new long[100];
    for (int i = 0; i < 100; i++) {
      nanos[i] = (100 - i) * 1_000_000L; // 100 ms down to 1 ms
    }

    Percentiles p = Percentiles.ofNanos(nanos);

    assertThat(p.p50Ms()).isEqualTo(50.0);
    assertThat(p.p95Ms()).isEqualTo(95.0);
    assertThat(p.p99Ms()).isEqualTo(99.0);
    assertThat(Percentiles.ofNanos(new long[] {1_500_000}).p50Ms()).isEqualTo(1.5);
  }

  @Test
  void nothingToRankIsRefused() {
    assertThatThrownBy(() -> Percentiles.ofNanos(new long[0])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Percentiles.nearestRank(new long[] {1}, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Percentiles.nearestRank(new long[] {1}, 101))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void samplesGrowPastTheirFirstCapacityAndMerge() {
    Samples a = new Samples(1);
    Samples b = new Samples(1);
    for (int i = 1; i <= 60; i++) {
      a.add(i * 1_000_000L);
    }
    for (int i = 61; i <= 100; i++) {
      b.add(i * 1_000_000L);
    }

    a.addAll(b);

    assertThat(a.size()).isEqualTo(100);
    assertThat(a.percentiles()).isEqualTo(new Percentiles(50.0, 95.0, 99.0));
    assertThat(new Samples().percentiles()).isNull();
  }
}
