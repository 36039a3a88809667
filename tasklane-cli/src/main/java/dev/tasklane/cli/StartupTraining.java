package dev.tasklane.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * The training runs behind the launcher's start-up caches: a JVM started with {@code
 * -XX:AOTCacheOutput} (JDK 25) or {@code -XX:ArchiveClassesAtExit} (JDK 21 to 24) records the
 * classes, linking and profiles of what it ran, and later JVMs on the same jar start from that
 * record instead of loading and linking it all again. There are two caches, because a JVM maps
 * the whole of its cache at start: the server's would slow a short {@code status} down.
 *
 * <ul>
 *   <li>{@code serve DIR} does what {@code tasklane serve} does before and just after its first
 *       answers: a first start that creates and migrates a database in {@code DIR}, a restart on
 *       it (every later start is one), a few API calls each time. During the restart it writes the
 *       server's URL to {@code DIR/url} and keeps serving until {@code DIR/done} appears, so the
 *       client's training, in another JVM, has a server to talk to.
 *   <li>{@code client URL} runs {@code submit} and {@code status} (summary and JSON) against the
 *       server at {@code URL}, the help, and a command-line mistake.
 * </ul>
 *
 * Output goes nowhere: only what the JVM loads and runs matters. Not part of the command line.
 */
final class StartupTraining {
  private static final Pattern LISTENING = Pattern.compile("Tasklane listening on (http://\\S+) ");
  private static final Duration WAIT = Duration.ofSeconds(120);

  private StartupTraining() {}

  public static void main(String[] args) {
    try {
      if (args.length == 2 && args[0].equals("serve")) {
        serve(Path.of(args[1]));
      } else if (args.length == 2 && args[0].equals("client")) {
        client(args[1]);
      } else {
        System.err.println("usage: StartupTraining serve DIR | client URL");
        System.exit(ExitCodes.USAGE);
      }
    } catch (Throwable e) {
      // Exit whatever threads are left: the launcher waits for this process.
      e.printStackTrace();
      System.exit(ExitCodes.FAILED);
    }
    // Exit as the commands do; the JVM writes its cache or archive on the way out.
    System.exit(ExitCodes.OK);
  }

  private static void serve(Path dir) throws Exception {
    Path db = dir.resolve("tasklane.db");
    for (int start = 1; start <= 2; start++) {
      try (Node node = Node.start(db)) {
        exercise(node.url);
        if (start == 2) {
          Files.writeString(dir.resolve("url.tmp"), node.url);
          Files.move(dir.resolve("url.tmp"), dir.resolve("url"), StandardCopyOption.ATOMIC_MOVE);
          awaitFile(dir.resolve("done"));
        }
      }
    }
  }

  private static void client(String url) {
    String id = idOf(cli("submit", "noop", "--server", url));
    cli("submit", "process_task", "{\"data\": \"training\", \"priority\": 2}", "--server", url);
    cli("submit", "echo", "[1, 2]", "--priority", "3", "--delay", "1h", "--server", url);
    cli("status", id, "--server", url);
    cli("status", id, "--json", "--server", url);
    cli("status", "--server", url);
    cli("status", "--json", "--server", url);
    cli("--help");
    cli("--version");
    for (String command : List.of("serve", "submit", "status")) {
      cli(command, "--help");
    }
    cli("status", "--bogus");
  }

  /** The calls a client makes first: health, a submission, the task, the queues. */
  private static void exercise(String url) throws Exception {
    ApiClient api = new ApiClient(URI.create(url), null);
    api.get("/health");
    String id =
        api.post("/api/v1/tasks", ApiClient.JSON.readTree("{\"type\": \"echo\", \"payload\": {\"training\": true}}"))
            .body()
            .path("id")
            .asText();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
    while (!api.get("/api/v1/tasks/" + id).body().path("state").asText().equals("succeeded")
        && Instant.now().isBefore(deadline)) {
      Thread.sleep(20);
    }
    api.post("/submit-task", ApiClient.JSON.readTree("{\"data\": \"training\", \"priority\": 2}"));
    api.get("/api/v1/queues");
    api.get("/api/v1/tasks?limit=10");
  }

  private static String idOf(String json) {
    Matcher m = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
    return m.find() ? m.group(1) : "00000000-0000-0000-0000-000000000000";
  }

  private static void awaitFile(Path file) throws InterruptedException {
    Instant deadline = Instant.now().plus(WAIT);
    while (!Files.exists(file) && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
    }
  }

  /** Runs one command in this JVM; returns what it printed on stdout. */
  private static String cli(String... args) {
    StringWriter out = new StringWriter();
    CommandLine cl = new TasklaneCli(System.getenv(), (name, hook) -> {}).commandLine();
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(Writer.nullWriter()));
    cl.execute(args);
    return out.toString();
  }

  /** {@code tasklane serve} running in this JVM on a free port, stopped as SIGTERM would. */
  private static final class Node implements AutoCloseable {
    private final ExecutorService thread =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "training-serve");
              t.setDaemon(true);
              return t;
            });
    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();
    private final Future<Integer> exit;
    private final String url;

    private Node(Path db) throws Exception {
      StringWriter out = new StringWriter();
      CommandLine cl = new TasklaneCli(Map.of(), (name, hook) -> hooks.add(hook)).commandLine();
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(Writer.nullWriter()));
      exit =
          thread.submit(
              () -> cl.execute("serve", "--port", "0", "--db", db.toString(), "--node-id", "training"));
      Instant deadline = Instant.now().plus(WAIT);
      Matcher m = LISTENING.matcher("");
      while (!(m = LISTENING.matcher(out.toString())).find()) {
        if (exit.isDone() || Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("the training server did not start: " + out);
        }
        Thread.sleep(10);
      }
      url = m.group(1);
    }

    static Node start(Path db) throws Exception {
      return new Node(db);
    }

    @Override
    public void close() throws Exception {
      hooks.forEach(Runnable::run);
      exit.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      thread.shutdown();
    }
  }
}
