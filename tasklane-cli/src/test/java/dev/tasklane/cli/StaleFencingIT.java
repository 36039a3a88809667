package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tasklane.testkit.TcpProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failure that time-based rescue gets wrong in many job systems: a node freezes (SIGSTOP) past
 * its lease while running tasks, the tasks are re-claimed elsewhere, then the frozen node resumes.
 * Its stale runs must change nothing, and the two ways they are stopped are told apart:
 *
 * <ul>
 *   <li>an outcome already on its way to the database when the node froze is written as it
 *       wakes, and the database's compare-and-set on the fencing token refuses it ({@code
 *       stale_refused_by_store});
 *   <li>a run still in its handler is stopped by the node itself, whose timer sees that the
 *       run's lease went unconfirmed for most of a lease, and its outcome is discarded without
 *       writing ({@code stale_discarded}).
 * </ul>
 *
 * <p>Which side a handler ending during a freeze lands on is a race; the second test makes the
 * database's side certain by holding an outcome on the network while another node takes over.
 */
class StaleFencingIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aFrozenNodesStaleRunsAreRefusedByTheDatabaseOrDiscardedByTheNodeAndTheRecordsAreUntouched()
      throws Exception {
    try (PostgresSchema schema = PostgresSchema.create()) {
      try (ServerProcess a = node(schema, "node-a", "a.log")) {
        List<String> finishing = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          finishing.add(a.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 2}}"));
        }
        String keepsRunning = a.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 600}}");
        List<String> all = new ArrayList<>(finishing);
        all.add(keepsRunning);
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          for (String id : all) {
            JsonNode t = a.task(id);
            if (!t.path("lease_owner").asText().equals("node-a") || t.path("started_at").isNull()) {
              return false;
            }
          }
          return true;
        });
        long staleBefore = stats(a).path("stale_rejected").asLong();

        // node-b joins only now, so that every run is node-a's. node-a stays frozen only until
        // node-b has taken over one of them: as it wakes, handlers that ended meanwhile write
        // outcomes that node-a still believes in, racing the renewal that would tell it.
        try (ServerProcess b = node(schema, "node-b", "b.log")) {
          a.freeze();
          try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
              for (String id : all) {
                if (b.task(id).path("lease_owner").asText().startsWith("node-b")) {
                  return true;
                }
              }
              return false;
            });
          } finally {
            a.thaw();
          }
          await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
              .until(() -> stats(a).path("stale_rejected").asLong() > staleBefore);
          await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            for (String id : finishing) {
              if (!b.task(id).path("state").asText().equals("succeeded")) {
                return false;
              }
            }
            return true;
          });
          // Each record was written by its task's latest run, whatever the stale ones tried.
          for (String id : finishing) {
            JsonNode done = b.task(id);
            assertThat(done.path("result").path("fencing_token").asLong())
                .as("task %s written by its latest run", id)
                .isEqualTo(done.path("fencing_token").asLong());
          }
          assertThat(stats(b).path("stale_rejected").asLong()).isZero();

          JsonNode s = stats(a);
          assertThat(s.path("stale_rejected").asLong())
              .isEqualTo(s.path("stale_refused_by_store").asLong() + s.path("stale_discarded").asLong());
          // The long run was still in its handler: the node itself learnt of the loss and
          // discarded it. A short one whose handler ended while the node was frozen may reach
          // the database and be refused there, or be discarded if the node learnt of the loss
          // first: which one is a race (the next test makes the refusal certain); here every
          // stale run is accounted for on one side or the other.
          assertThat(s.path("stale_discarded").asLong()).isGreaterThanOrEqualTo(1);
        }
      }
    }
  }

  /**
   * The database's side, made certain: node-a's outcome leaves the node while its lease is still
   * good, and is held on the way (a network that delivers nothing, then everything) until node-b
   * has taken the task over and finished it. Arriving, it is refused by the compare-and-set.
   */
  @Test
  void anOutcomeHeldOnTheWayWhileAnotherNodeTookTheTaskOverIsRefusedByTheDatabase() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create();
        TcpProxy network = TcpProxy.to("127.0.0.1", 5432).start()) {
      List<String> throughProxy = new ArrayList<>(schema.serveFlagsThrough(network));
      throughProxy.addAll(List.of(
          "--db-timeout", "60s",
          "--node-id", "node-a", "--lease", "8s", "--leader-timeout", "3s", "--poll-interval", "200ms"));
      try (ServerProcess a = ServerProcess.start(ServerProcess.freePort(), dir.resolve("a.log"), throughProxy)) {
        String id = a.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 4}}");
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
            .until(() -> !a.task(id).path("started_at").isNull());
        // The handler ends within 4 s, long before node-a would doubt a lease of 8 s: its outcome
        // is sent, and held.
        network.blackHole();
        try (ServerProcess b = node(schema, "node-b", "b.log")) {
          JsonNode done;
          try {
            done = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
                .until(() -> b.task(id), t -> t.path("state").asText().equals("succeeded"));
          } finally {
            network.heal();
          }
          assertThat(done.path("result").path("node").asText()).isEqualTo("node-b");
          await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
              .until(() -> stats(a).path("stale_rejected").asLong() >= 1);
          JsonNode s = stats(a);
          assertThat(s.path("stale_refused_by_store").asLong()).as(s.toString()).isEqualTo(1);
          assertThat(s.path("stale_discarded").asLong()).as(s.toString()).isZero();
          assertThat(b.task(id)).isEqualTo(done);
        }
      }
    }
  }

  private ServerProcess node(PostgresSchema schema, String nodeId, String log) throws Exception {
    List<String> args = new ArrayList<>(schema.serveFlags());
    args.addAll(List.of(
        "--node-id", nodeId, "--lease", "2s", "--leader-timeout", "3s", "--poll-interval", "200ms",
        "--concurrency", "16"));
    return ServerProcess.start(ServerProcess.freePort(), dir.resolve(log), args);
  }

  private static JsonNode stats(ServerProcess node) throws Exception {
    return JSON.readTree(node.get("/health").body()).path("stats");
  }
}
