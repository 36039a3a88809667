package dev.tasklane.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures what one logger writes, with a logback {@link ListAppender}. */
final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private LogCapture(String name) {
    logger = (Logger) LoggerFactory.getLogger(name);
    appender.start();
    logger.addAppender(appender);
  }

  static LogCapture of(Class<?> source) {
    return new LogCapture(source.getName());
  }

  /** Everything every logger writes (at the levels the test configuration lets through). */
  static LogCapture all() {
    return new LogCapture(Logger.ROOT_LOGGER_NAME);
  }

  /** Formatted messages so far, oldest first. */
  List<String> messages() {
    // Handlers log on their own threads; AppenderBase appends while holding the appender's lock.
    synchronized (appender) {
      return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  /** Events so far, oldest first. */
  List<ILoggingEvent> events() {
    synchronized (appender) {
      return List.copyOf(appender.list);
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
