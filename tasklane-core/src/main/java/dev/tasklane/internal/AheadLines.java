package dev.tasklane.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The runs this node claimed ahead of a free slot, one line per queue in claim order. They were
 * first in line when claimed, so they get a queue's free slots before anything claimed later.
 *
 * <p>Dispatcher thread only (read by shutdown after the dispatcher has ended).
 */
final class AheadLines {
  private final Map<String, ArrayDeque<Run>> lines = new HashMap<>();
  private int total;

  int total() {
    return total;
  }

  int waiting(String queue) {
    ArrayDeque<Run> line = lines.get(queue);
    return line == null ? 0 : line.size();
  }

  void add(String queue, Run run) {
    lines.computeIfAbsent(queue, q -> new ArrayDeque<>()).addLast(run);
    total++;
  }

  /** The first run of {@code queue}'s line, taken out of it; {@code null} if the line is empty. */
  Run poll(String queue) {
    ArrayDeque<Run> line = lines.get(queue);
    Run run = line == null ? null : line.pollFirst();
    if (run != null) {
      total--;
    }
    return run;
  }

  /** Takes out every run that was stopped (cancelled, lease lost) while it waited. */
  List<Run> removeStopped() {
    List<Run> out = new ArrayList<>();
    for (ArrayDeque<Run> line : lines.values()) {
      for (Iterator<Run> it = line.iterator(); it.hasNext(); ) {
        Run run = it.next();
        if (run.stopReason() != null) {
          it.remove();
          total--;
          out.add(run);
        }
      }
    }
    return out;
  }

  /** Takes out every run of the given queues. */
  List<Run> removeQueues(Set<String> queues) {
    List<Run> out = new ArrayList<>();
    for (String queue : queues) {
      for (Run run = poll(queue); run != null; run = poll(queue)) {
        out.add(run);
      }
    }
    return out;
  }

  /** Takes out every run. */
  List<Run> removeAll() {
    List<Run> out = new ArrayList<>();
    for (ArrayDeque<Run> line : lines.values()) {
      out.addAll(line);
      line.clear();
    }
    total = 0;
    return out;
  }
}
