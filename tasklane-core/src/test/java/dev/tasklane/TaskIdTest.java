package dev.tasklane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TaskIdTest {

  @Test
  void idsAreVersion7WithTheRfcVariant() {
    TaskId id = TaskId.next();
    assertThat(id.value().version()).isEqualTo(7);
    assertThat(id.value().variant()).isEqualTo(2);
  }

  @Test
  void idsCarryTheCurrentTimeInTheirFirst48Bits() {
    long before = System.currentTimeMillis();
    TaskId id = TaskId.next();
    long after = System.currentTimeMillis();
    long millis = id.value().getMostSignificantBits() >>> 16;
    // The counter may borrow a few milliseconds forward under bursts; never backwards.
    assertThat(millis).isBetween(before, after + 100);
  }

  @Test
  void idsFromOneProcessStrictlyIncreaseEvenWithinAMillisecond() {
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 50_000; i++) {
      ids.add(TaskId.next());
    }
    for (int i = 1; i < ids.size(); i++) {
      assertThat(ids.get(i)).isGreaterThan(ids.get(i - 1));
      // Text order equals time order too, which SQL stores rely on for FIFO by id.
      assertThat(ids.get(i).toString()).isGreaterThan(ids.get(i - 1).toString());
    }
  }

  @Test
  void idsAreUniqueAcrossThreads() {
    ConcurrentLinkedQueue<TaskId> all = new ConcurrentLinkedQueue<>();
    IntStream.range(0, 8).parallel().forEach(t -> {
      for (int i = 0; i < 10_000; i++) {
        all.add(TaskId.next());
      }
    });
    Set<TaskId> unique = new HashSet<>(all);
    assertThat(unique).hasSize(80_000);
  }

  @Test
  void parseRoundTripsAndRejectsGarbage() {
    TaskId id = TaskId.next();
    assertThat(TaskId.parse(id.toString())).isEqualTo(id);
    assertThatThrownBy(() -> TaskId.parse("not-a-uuid")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TaskId.parse("1-1-1-1-1")).isInstanceOf(IllegalArgumentException.class);
  }
}
