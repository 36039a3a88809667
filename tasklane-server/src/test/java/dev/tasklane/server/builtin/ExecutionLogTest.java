package dev.tasklane.server.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tasklane.TaskContext;
import dev.tasklane.TaskHandler;
import dev.tasklane.TaskId;
import dev.tasklane.TaskResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutionLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static TaskContext context(TaskId id) {
    return new TaskContext() {
      @Override public TaskId taskId() { return id; }
      @Override public String type() { return "t"; }
      @Override public String queue() { return "default"; }
      @Override public String nodeId() { return "node-1"; }
      @Override public int attempt() { return 2; }
      @Override public int maxAttempts() { return 3; }
      @Override public long fencingToken() { return 7; }
      @Override public void progress(int percent) {}
      @Override public boolean isCancelled() { return false; }
      @Override public void checkCancelled() {}
    };
  }

  @Test
  void eachRunWritesAStartAndAnEndLineWithItsTaskAttemptTokenAndNode() throws Exception {
    Path file = dir.resolve("audit").resolve("executions.jsonl");
    TaskId ok = TaskId.next();
    TaskId fails = TaskId.next();
    try (ExecutionLog log = ExecutionLog.appendingTo(file)) {
      TaskHandler<Object> succeeds = log.around((p, c) -> TaskResult.success());
      TaskHandler<Object> throwsUp = log.around((p, c) -> { throw new IllegalStateException("no"); });
      succeeds.handle(null, context(ok));
      assertThatThrownBy(() -> throwsUp.handle(null, context(fails))).isInstanceOf(IllegalStateException.class);
    }

    List<JsonNode> lines = Files.readAllLines(file).stream().map(l -> read(l)).toList();
    assertThat(lines).extracting(l -> l.get("event").asText()).containsExactly("start", "end", "start", "end");
    assertThat(lines.get(0).get("task").asText()).isEqualTo(ok.toString());
    assertThat(lines.get(0).get("attempt").asInt()).isEqualTo(2);
    assertThat(lines.get(0).get("fencing_token").asLong()).isEqualTo(7);
    assertThat(lines.get(0).get("node").asText()).isEqualTo("node-1");
    assertThat(lines.get(1).get("outcome").asText()).isEqualTo("returned");
    assertThat(lines.get(3).get("outcome").asText()).isEqualTo("threw java.lang.IllegalStateException");
  }

  @Test
  void aHandlerInterruptedWhileItWritesLeavesTheLogOpenForEveryOther() throws Exception {
    // Runs are interrupted when cancelled or lost; an interrupt during an NIO channel's write
    // would close the channel, and every later line would be lost.
    Path file = dir.resolve("executions.jsonl");
    try (ExecutionLog log = ExecutionLog.appendingTo(file)) {
      TaskHandler<Object> handler = log.around((p, c) -> TaskResult.success());
      Thread.currentThread().interrupt();
      try {
        handler.handle(null, context(TaskId.next()));
      } finally {
        Thread.interrupted();
      }
      handler.handle(null, context(TaskId.next()));
    }

    assertThat(Files.readAllLines(file)).hasSize(4);
  }

  private static JsonNode read(String line) {
    try {
      return JSON.readTree(line);
    } catch (Exception e) {
      throw new AssertionError(line, e);
    }
  }
}
