package dev.tasklane.server.builtin;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tasklane.TaskContext;
import dev.tasklane.TaskHandler;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An audit trail written by the handlers themselves: a line when a handler starts and a line when
 * it returns or throws, with the task, the attempt, the run's fencing token, the node and the
 * time. Unlike the task's record, which the engine keeps, this is what actually ran: a delivery
 * checker reads it to see that every accepted task ran, and that no task ran twice at the same
 * time.
 *
 * <p>One JSON object per line, appended with one {@code write} each to a file opened in append
 * mode, so lines of concurrent handlers (and of several processes sharing the file) never
 * interleave, and a line is in the operating system's hands, surviving a {@code kill -9}, as soon
 * as the write returns. The file is written through a stream, not an NIO channel: a handler is
 * interrupted when its run is cancelled or lost, and an interrupt during a channel's write would
 * close the channel for every handler.
 *
 * <pre>
 * {"event":"start","task":"0199...","attempt":1,"fencing_token":1,"node":"n1","at":"2026-...Z"}
 * {"event":"end","task":"0199...","attempt":1,"fencing_token":1,"node":"n1","at":"...","outcome":"returned"}
 * </pre>
 *
 * {@code outcome} is {@code returned} or {@code threw <exception class>}.
 */
public final class ExecutionLog implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExecutionLog.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Records nothing. */
  public static final ExecutionLog NONE = new ExecutionLog(null, null);

  private final Path file;
  private final FileOutputStream out;

  private ExecutionLog(Path file, FileOutputStream out) {
    this.file = file;
    this.out = out;
  }

  /**
   * Opens (creating if missing, with missing folders) {@code file} for appending.
   *
   * @throws UncheckedIOException if it cannot be opened
   */
  public static ExecutionLog appendingTo(Path file) {
    Objects.requireNonNull(file, "file");
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      return new ExecutionLog(file, new FileOutputStream(file.toFile(), true));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the execution log " + file, e);
    }
  }

  /** The handler, with a line written when it starts and when it ends. */
  public <P> TaskHandler<P> around(TaskHandler<P> handler) {
    if (out == null) {
      return handler;
    }
    return (payload, ctx) -> {
      write("start", ctx, null);
      String outcome = "returned";
      try {
        return handler.handle(payload, ctx);
      } catch (Throwable t) {
        outcome = "threw " + t.getClass().getName();
        throw t;
      } finally {
        write("end", ctx, outcome);
      }
    };
  }

  private void write(String event, TaskContext ctx, String outcome) {
    ByteArrayOutputStream line = new ByteArrayOutputStream(200);
    try (JsonGenerator g = JSON.getFactory().createGenerator(line)) {
      g.writeStartObject();
      g.writeStringField("event", event);
      g.writeStringField("task", ctx.taskId().toString());
      g.writeNumberField("attempt", ctx.attempt());
      g.writeNumberField("fencing_token", ctx.fencingToken());
      g.writeStringField("node", ctx.nodeId());
      g.writeStringField("at", Instant.now().toString());
      if (outcome != null) {
        g.writeStringField("outcome", outcome);
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    line.write('\n');
    try {
      out.write(line.toByteArray()); // one write: a whole line, appended
    } catch (IOException e) {
      // An audit line that cannot be written must not fail the task; say so loudly.
      log.error("could not append to the execution log {}", file, e);
    }
  }

  @Override
  public void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        log.warn("closing the execution log {} failed", file, e);
      }
    }
  }
}
