package dev.tasklane.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.joran.spi.ConsoleTarget;
import ch.qos.logback.classic.spi.ILoggingEvent;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Logging while {@code tasklane bench} runs: Tasklane's own loggers (and a compared peer's) at WARN, so that per-task or
 * per-start lines cost nothing in the figures, and console output on stderr, so that stdout holds
 * only the results (JSON lines stay parseable). {@link #close()} puts everything back.
 */
final class BenchLogging implements AutoCloseable {
  private static final String TASKLANE = "dev.tasklane";
  /** The peers measured with {@code --compare}: their start-up lines would interleave with progress. */
  private static final List<String> PEERS = List.of("com.github.kagkarlsson", "com.zaxxer.hikari");

  private final Runnable restore;

  private BenchLogging(Runnable restore) {
    this.restore = restore;
  }

  /** Quiets logging until {@link #close()}; does nothing if Logback is not the SLF4J backend. */
  static BenchLogging quiet() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return new BenchLogging(() -> {});
    }
    List<Logger> quieted = new ArrayList<>();
    quieted.add(context.getLogger(TASKLANE));
    PEERS.forEach(name -> quieted.add(context.getLogger(name)));
    List<Level> before = quieted.stream().map(Logger::getLevel).toList();
    quieted.forEach(logger -> logger.setLevel(Level.WARN));
    List<ConsoleAppender<ILoggingEvent>> moved = new ArrayList<>();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    for (Iterator<Appender<ILoggingEvent>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      if (it.next() instanceof ConsoleAppender<ILoggingEvent> console
          && ConsoleTarget.SystemOut.getName().equals(console.getTarget())) {
        retarget(console, ConsoleTarget.SystemErr);
        moved.add(console);
      }
    }
    return new BenchLogging(
        () -> {
          for (int i = 0; i < quieted.size(); i++) {
            quieted.get(i).setLevel(before.get(i));
          }
          moved.forEach(console -> retarget(console, ConsoleTarget.SystemOut));
        });
  }

  /** A console appender takes its stream when it starts: stop, retarget, start. */
  private static void retarget(ConsoleAppender<ILoggingEvent> console, ConsoleTarget target) {
    console.stop();
    console.setTarget(target.getName());
    console.start();
  }

  @Override
  public void close() {
    restore.run();
  }
}
