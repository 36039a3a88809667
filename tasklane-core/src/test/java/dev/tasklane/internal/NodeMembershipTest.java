package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tasklane.NodeIdInUseException;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.testing.InMemoryTaskStore;
import dev.tasklane.testing.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A node id belongs to one live process: taken when free or expired, refused while live. */
class NodeMembershipTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration HEARTBEAT = Duration.ofSeconds(10);
  private final TestClock clock = TestClock.at("2030-01-01T00:00:00Z");
  private final InMemoryTaskStore store = new InMemoryTaskStore(clock);

  /** Waits pass on the test clock; {@code meanwhile} runs at each (another process's heartbeat). */
  private EngineThreads time(Runnable meanwhile) {
    return new ManualEngine.ManualThreads(clock) {
      @Override
      void pause(Duration d) {
        super.pause(d);
        meanwhile.run();
      }
    };
  }

  private static NodeInfo process(String id, String instance, long pid) {
    return new NodeInfo(id, instance, "host-a", pid, Instant.EPOCH, 4, Set.of("t"));
  }

  private NodeMembership membership(NodeInfo node, Runnable meanwhile) {
    return new NodeMembership(store, node, LEASE, HEARTBEAT, time(meanwhile));
  }

  @Test
  void aFreeIdIsTakenAtOnce() {
    Instant before = clock.instant();
    membership(process("node-1", "a", 1), () -> {}).join();
    assertThat(clock.instant()).isEqualTo(before);
    assertThat(store.nodes()).singleElement().satisfies(r -> assertThat(r.node().instance()).isEqualTo("a"));
  }

  @Test
  void anIdLeftByAProcessThatDiedIsWaitedForUntilItsRegistrationExpiresThenTakenOver() {
    store.claimNode(process("node-1", "dead", 1), LEASE);
    clock.advance(Duration.ofSeconds(5));
    Instant joinStarted = clock.instant();

    membership(process("node-1", "new", 2), () -> {}).join();

    assertThat(store.nodes()).singleElement().satisfies(r -> assertThat(r.node().instance()).isEqualTo("new"));
    assertThat(Duration.between(joinStarted, clock.instant()))
        .as("waited for the rest of the dead process's lease, not longer than needed")
        .isBetween(Duration.ofSeconds(25), Duration.ofSeconds(27));
  }

  @Test
  void anIdHeldByALiveProcessIsRefusedNamingTheHolder() {
    NodeInfo holder = process("node-1", "live", 4242);
    store.claimNode(holder, LEASE);

    assertThatThrownBy(() -> membership(process("node-1", "second", 2), () -> store.heartbeatNode(holder, LEASE)).join())
        .isInstanceOfSatisfying(
            NodeIdInUseException.class,
            e -> {
              assertThat(e.nodeId()).isEqualTo("node-1");
              assertThat(e.holder()).isEqualTo("process 4242 on host-a (instance live)");
            });
    assertThat(store.nodes()).singleElement().satisfies(r -> assertThat(r.node().instance()).isEqualTo("live"));
  }

  @Test
  void aNodeWhoseIdWasTakenOverWhileItWasSilentIsEvictedAndClaimsNothingMore() {
    NodeMembership first = membership(process("node-1", "first", 1), () -> {});
    first.join();
    clock.advance(LEASE.plusSeconds(1)); // frozen past its registration's lease
    membership(process("node-1", "second", 2), () -> {}).join();

    first.heartbeat();

    assertThat(first.evicted()).isTrue();
    first.leave(); // does not remove the new holder's registration
    assertThat(store.nodes()).singleElement().satisfies(r -> assertThat(r.node().instance()).isEqualTo("second"));
  }

  @Test
  void aHeartbeatAfterLeavingRegistersNothing() {
    NodeMembership node = membership(process("node-1", "a", 1), () -> {});
    node.join();

    node.leave();
    node.heartbeat(); // a heartbeat tick racing with the shutdown

    assertThat(store.nodes()).isEmpty();
  }

  @Test
  void anEvictedEngineStopsClaiming() {
    ManualEngine e =
        new ManualEngine(
            store,
            clock,
            dev.tasklane.WorkerConfig.builder().nodeId("node-1").clock(clock).leaseDuration(LEASE).build(),
            ManualEngine.types(dev.tasklane.TaskType.of("t", com.fasterxml.jackson.databind.JsonNode.class, (p, c) -> dev.tasklane.TaskResult.success())));
    try {
      e.start();
      clock.advance(LEASE.plusSeconds(1));
      store.claimNode(process("node-1", "usurper", 9), LEASE);
      e.engine.membership().heartbeat();
      e.submit(
          new dev.tasklane.spi.NewTask(
              dev.tasklane.TaskId.next(), "t", "default", "{}", 0, dev.tasklane.TaskState.QUEUED, 1,
              clock.instant(), null, clock.instant(), null));

      e.dispatch();

      assertThat(e.engine.isEvicted()).isTrue();
      assertThat(e.threads.pending()).isZero();
    } finally {
      e.close();
    }
  }
}
