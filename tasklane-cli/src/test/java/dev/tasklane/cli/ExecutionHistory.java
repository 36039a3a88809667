package dev.tasklane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the handlers of real server processes wrote to their execution logs ({@code serve
 * --execution-log}): every run that started, and when it ended. The engine's own records are not
 * trusted here; this is what ran.
 */
final class ExecutionHistory {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One run of one task.
   *
   * @param end when its handler returned or threw; {@code null} if it never did (its process died)
   */
  record Run(String task, int attempt, long fencingToken, String node, Instant start, Instant end, String outcome) {
    /** When the run stopped running: its end, or else when its process was killed. */
    Instant until(Instant killedAt) {
      return end != null ? end : killedAt;
    }
  }

  private final List<Run> runs;

  private ExecutionHistory(List<Run> runs) {
    this.runs = List.copyOf(runs);
  }

  /** Reads the logs (missing files count as empty). */
  static ExecutionHistory read(Path... files) throws IOException {
    Map<String, JsonNode> starts = new LinkedHashMap<>();
    Map<String, JsonNode> ends = new LinkedHashMap<>();
    for (Path file : files) {
      if (!Files.exists(file)) {
        continue;
      }
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        if (line.isBlank()) {
          continue;
        }
        JsonNode e;
        try {
          e = JSON.readTree(line);
        } catch (IOException partial) {
          if (i == lines.size() - 1) {
            continue; // the last line, caught while its process was writing it
          }
          throw partial;
        }
        String key = e.get("task").asText() + "#" + e.get("fencing_token").asLong() + "@" + e.get("node").asText();
        (e.get("event").asText().equals("start") ? starts : ends).put(key, e);
      }
    }
    List<Run> out = new ArrayList<>();
    starts.forEach((key, s) -> {
      JsonNode e = ends.get(key);
      out.add(new Run(
          s.get("task").asText(),
          s.get("attempt").asInt(),
          s.get("fencing_token").asLong(),
          s.get("node").asText(),
          Instant.parse(s.get("at").asText()),
          e == null ? null : Instant.parse(e.get("at").asText()),
          e == null ? null : e.get("outcome").asText()));
    });
    return new ExecutionHistory(out);
  }

  List<Run> runs() {
    return runs;
  }

  Map<String, List<Run>> byTask() {
    Map<String, List<Run>> out = new LinkedHashMap<>();
    for (Run r : runs) {
      out.computeIfAbsent(r.task(), t -> new ArrayList<>()).add(r);
    }
    out.values().forEach(l -> l.sort(Comparator.comparing(Run::start)));
    return out;
  }

  /**
   * Descriptions of every pair of runs of one task that were running at the same time; a run that
   * never ended ran until {@code killedAt}.
   */
  List<String> overlaps(Instant killedAt) {
    List<String> out = new ArrayList<>();
    byTask().forEach((task, list) -> {
      for (int i = 1; i < list.size(); i++) {
        Run before = list.get(i - 1);
        Run after = list.get(i);
        if (after.start().isBefore(before.until(killedAt))) {
          out.add(task + ": " + before + " and " + after);
        }
      }
    });
    return out;
  }
}
