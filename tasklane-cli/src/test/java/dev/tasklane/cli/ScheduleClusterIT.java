package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real server processes on one PostgreSQL schema, each given the same schedule (a tick every
 * second) in a {@code --schedules} file, so that all three fire every tick. Two of them are killed
 * with SIGKILL in turn, one of them while the other is still down, and both come back. The tasks
 * in the database must hold exactly one task for every tick from the first to the last, none
 * missing while nodes died; the handlers' execution logs must show every tick's task ran, never
 * twice at once, and that the killed nodes ran ticks before they died and the survivor while they
 * were down.
 */
class ScheduleClusterIT {
  private static final int NODES = 3;
  private static final String KEY = "schedule:beat:";

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path dir;

  @Test
  void everyTickCreatesExactlyOneTaskThroughNodeKills() throws Exception {
    Path schedules = dir.resolve("schedules.json");
    Files.writeString(
        schedules,
        "{\"schedules\": [{\"name\": \"beat\", \"every\": 1, \"task\": {\"type\": \"noop\"}}]}");
    try (PostgresSchema schema = PostgresSchema.create()) {
      int[] ports = new int[NODES];
      ServerProcess[] nodes = new ServerProcess[NODES];
      try {
        for (int i = 0; i < NODES; i++) {
          ports[i] = ServerProcess.freePort();
          nodes[i] = start(schema, schedules, i, ports[i]);
        }
        awaitTicks(schema, 6);
        await().atMost(Duration.ofSeconds(60)).until(() -> ranTicks("node-0") > 0 && ranTicks("node-1") > 0);

        // Node 0 dies; while it is down, node 1 dies too: node 2 alone fires the ticks.
        nodes[0].kill();
        Instant firstKill = Instant.now();
        awaitTicksAfter(schema, firstKill, 3);
        nodes[1].kill();
        Instant secondKill = Instant.now();
        awaitTicksAfter(schema, secondKill, 4);
        Instant aloneUntil = Instant.now();
        nodes[0] = start(schema, schedules, 0, ports[0]);
        nodes[1] = start(schema, schedules, 1, ports[1]);
        awaitTicksAfter(schema, Instant.now(), 4);
        for (ServerProcess n : nodes) {
          n.terminate(Duration.ofSeconds(30));
        }

        List<Instant> ticks = ticks(schema);
        assertThat(ticks).as("one task per tick").doesNotHaveDuplicates();
        for (int i = 1; i < ticks.size(); i++) {
          assertThat(Duration.between(ticks.get(i - 1), ticks.get(i)))
              .as("no tick missing between %s and %s", ticks.get(i - 1), ticks.get(i))
              .isEqualTo(Duration.ofSeconds(1));
        }
        assertThat(ticks.stream().filter(t -> t.isAfter(secondKill) && t.isBefore(aloneUntil)))
            .as("ticks fired while two of three nodes were dead")
            .hasSizeGreaterThanOrEqualTo(3);

        ExecutionHistory history = ExecutionHistory.read(executionLogs());
        Map<String, String> tickTasks = tickTasks(schema);
        Map<String, List<ExecutionHistory.Run>> runs = history.byTask();
        for (Map.Entry<String, String> t : tickTasks.entrySet()) {
          assertThat(runs.get(t.getKey())).as("the task of tick %s ran", t.getValue()).isNotEmpty();
        }
        assertThat(history.overlaps(aloneUntil)).as("runs of one task at the same time").isEmpty();
        assertThat(history.runs().stream()
                .filter(r -> r.node().equals("node-2") && tickTasks.containsKey(r.task())
                    && r.start().isAfter(secondKill) && r.start().isBefore(aloneUntil)))
            .as("the survivor ran ticks while the others were dead")
            .isNotEmpty();
      } finally {
        for (ServerProcess n : nodes) {
          if (n != null) {
            n.close();
          }
        }
      }
    }
  }

  private ServerProcess start(PostgresSchema schema, Path schedules, int i, int port) throws Exception {
    List<String> args = new ArrayList<>(schema.serveFlags());
    args.addAll(List.of(
        "--node-id", "node-" + i, "--lease", "3s", "--leader-timeout", "3s", "--shutdown-timeout", "5s",
        "--schedules", schedules.toString(),
        "--execution-log", dir.resolve("node-" + i + ".executions.jsonl").toString()));
    return ServerProcess.start(port, dir.resolve("node-" + i + ".log"), args);
  }

  private Path[] executionLogs() {
    Path[] out = new Path[NODES];
    for (int i = 0; i < NODES; i++) {
      out[i] = dir.resolve("node-" + i + ".executions.jsonl");
    }
    return out;
  }

  /** How many runs {@code node}'s execution log holds (every run here is a tick's task). */
  private long ranTicks(String node) throws Exception {
    return ExecutionHistory.read(executionLogs()).runs().stream().filter(r -> r.node().equals(node)).count();
  }

  private static void awaitTicks(PostgresSchema schema, int n) {
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> ticks(schema).size() >= n);
  }

  private static void awaitTicksAfter(PostgresSchema schema, Instant after, int n) {
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> ticks(schema).stream().filter(t -> t.isAfter(after)).count() >= n);
  }

  /** The ticks that have a task, in order, read from the tasks' idempotency keys. */
  private static List<Instant> ticks(PostgresSchema schema) throws Exception {
    return tickTasks(schema).values().stream().map(Instant::parse).sorted().toList();
  }

  /** Task id to its tick, for every task the schedule created. */
  private static Map<String, String> tickTasks(PostgresSchema schema) throws Exception {
    Map<String, String> out = new HashMap<>();
    try (Connection c = PostgresSchema.connectOrThrow();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(
            "SELECT id, idempotency_key FROM " + schema.name + ".task WHERE idempotency_key LIKE '" + KEY + "%'")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getString(2).substring(KEY.length()));
      }
    }
    return out;
  }
}
