package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import dev.tasklane.server.builtin.BuiltinTasks;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.MDC;

/** The shipped {@code logback.xml}: what an operator sees on stdout. */
class LogbackConfigTest {

  @Test
  void seedTaskLineReachesStdoutWithItsTaskIdAndOtherLinesCarryNoEmptyTaskField()
      throws JoranException {
    String printed =
        capturingStdout(
            logger -> {
          MDC.put("task_id", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
          try {
            logger.info("Processed: {}", "hello");
          } finally {
            MDC.remove("task_id");
          }
          logger.info("Tasklane stopped");
          logger.debug("not shown at the default level");
        });

    String[] lines = printed.split("\\R");
    assertThat(lines).hasSize(2);
    assertThat(lines[0])
        .matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  BuiltinTasks +"
            + "task=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b Processed: hello");
    assertThat(lines[1]).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  BuiltinTasks +Tasklane stopped");
  }

  /**
   * Whatever a message holds, from Tasklane or a library that quotes a request, it prints as one
   * line: control characters other than tab become {@code ?}, so no line can be forged.
   */
  @Test
  void aMessageWithControlCharactersPrintsAsOneLine() throws JoranException {
    String printed =
        capturingStdout(
            logger ->
                logger.info(
                    "Processed: {}",
                    "a\n12:00:00.000 INFO  BuiltinTasks Processed: FORGED\r\u0000\u001b[31m\tend"));

    String[] lines = printed.split("\\R");
    assertThat(lines).hasSize(1);
    assertThat(lines[0]).endsWith("Processed: a?12:00:00.000 INFO  BuiltinTasks Processed: FORGED???[31m\tend");
  }

  private interface Body {
    void run(Logger logger);
  }

  /** Configures a fresh logback context from the shipped file while stdout is captured. */
  private static String capturingStdout(Body body) throws JoranException {
    PrintStream original = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    LoggerContext context = new LoggerContext();
    // A fresh context has no MDC adapter; share SLF4J's, which MDC.put writes to.
    context.setMDCAdapter(MDC.getMDCAdapter());
    try {
      System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(LogbackConfigTest.class.getResource("/logback.xml"));
      body.run(context.getLogger(BuiltinTasks.class));
    } finally {
      context.stop();
      System.setOut(original);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
