package dev.tasklane.sqlite;

import static dev.tasklane.testkit.Fixtures.aTask;

import dev.tasklane.spi.NewTask;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM for the tests that need another process: it opens a store on a file and reports what
 * happened on stdout, one line, so a test can see file locking and crash durability across real
 * process boundaries.
 *
 * <ul>
 *   <li>{@code open <db>}: opens and closes a store; prints {@code opened} (exit 0) or the refusal
 *       message (exit 3).
 *   <li>{@code insert-and-wait <db>}: opens a store, inserts one task, prints {@code inserted <id>}
 *       once {@code insert} has returned, then blocks until killed.
 * </ul>
 */
public final class StoreProcess {
  static final int REFUSED = 3;

  private StoreProcess() {}

  public static void main(String[] args) throws IOException {
    Path db = Path.of(args[1]);
    switch (args[0]) {
      case "open" -> {
        try (SqliteTaskStore store = SqliteTaskStore.open(db)) {
          System.out.println("opened " + store.file());
        } catch (IllegalStateException e) {
          System.out.println(e.getMessage());
          System.exit(REFUSED);
        }
      }
      case "insert-and-wait" -> {
        SqliteTaskStore store = SqliteTaskStore.open(db);
        NewTask task = aTask().type("crash.test").build();
        store.insert(task);
        System.out.println("inserted " + task.id());
        System.out.flush();
        // Never closed: the parent kills this process with SIGKILL while it holds the store.
        System.in.read();
      }
      default -> throw new IllegalArgumentException("unknown command " + args[0]);
    }
  }

  /** Starts this class in a new JVM with the test class path. */
  static Process start(String command, Path db) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(StoreProcess.class.getName());
    cmd.add(command);
    cmd.add(db.toString());
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** The first line the process prints on stdout, or null if it exits without one. */
  static String firstLine(Process process) throws IOException {
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    return out.readLine();
  }

  /** Waits for the process to exit and returns its exit code. */
  static int exitCode(Process process) throws InterruptedException {
    if (!process.waitFor(1, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("child process did not exit within a minute");
    }
    return process.exitValue();
  }
}
