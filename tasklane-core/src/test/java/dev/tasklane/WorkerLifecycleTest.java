package dev.tasklane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.spi.ForwardingTaskStore;
import dev.tasklane.spi.LeaderElection;
import dev.tasklane.testing.InMemoryTaskStore;
import dev.tasklane.testing.TestClock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Starting, failing to start, stopping twice and closing in any order leave no thread behind. */
class WorkerLifecycleTest {
  private final TestClock clock = TestClock.at("2030-01-01T00:00:00Z");
  private final InMemoryTaskStore store = new InMemoryTaskStore(clock);

  private Worker worker(dev.tasklane.spi.TaskStore on) {
    return Worker.builder(on)
        .config(WorkerConfig.builder().nodeId("node-1").leaseDuration(Duration.ofSeconds(3)).build())
        .register(TaskType.of("t", JsonNode.class, (p, c) -> TaskResult.success()))
        .build();
  }

  private static Set<Thread> tasklaneThreads() {
    Set<Thread> out = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("tasklane-") && t.isAlive()) {
        out.add(t);
      }
    }
    return out;
  }

  private static void awaitNoTasklaneThreadBut(Set<Thread> before) {
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      Set<Thread> now = tasklaneThreads();
      now.removeAll(before);
      assertThat(now).extracting(Thread::getName).isEmpty();
    });
  }

  @Test
  void aStartThatFailsLeavesNoThreadNoRegistrationAndAStoppedWorker() {
    Set<Thread> before = tasklaneThreads();
    ForwardingTaskStore failing =
        new ForwardingTaskStore(store) {
          @Override
          public LeaderElection leaderElection(String nodeId) {
            throw new StoreException("leaderElection", new java.io.IOException("refused"), true);
          }
        };
    Worker w = worker(failing);
    w.submit(TaskRequest.builder("t").build()); // its group-commit writer is running now

    assertThatThrownBy(w::start).isInstanceOf(StoreException.class);

    assertThat(w.lifecycle()).isEqualTo(Worker.Lifecycle.STOPPED);
    assertThat(store.nodes()).as("the id is given up").isEmpty();
    awaitNoTasklaneThreadBut(before);
    assertThatThrownBy(w::start).isInstanceOf(IllegalStateException.class);
    w.close();
    w.close();
    awaitNoTasklaneThreadBut(before);
  }

  @Test
  void stoppingTwiceAndClosingInAnyOrderLeaveNoThread() {
    Set<Thread> before = tasklaneThreads();
    Worker started = worker(store);
    started.start();
    started.submit(TaskRequest.builder("t").build());
    Worker neverStarted = worker(store);
    neverStarted.submit(TaskRequest.builder("t").build());

    neverStarted.close();
    started.close();
    started.close();
    neverStarted.close();

    assertThat(started.lifecycle()).isEqualTo(Worker.Lifecycle.STOPPED);
    assertThat(neverStarted.lifecycle()).isEqualTo(Worker.Lifecycle.STOPPED);
    awaitNoTasklaneThreadBut(before);
  }
}
