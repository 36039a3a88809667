package dev.tasklane.cli;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real {@code tasklane serve} process started from the built fat jar, for tests that must kill
 * it the way an operating system would.
 */
final class ServerProcess implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final int port;
  private final Path log;

  private ServerProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** Starts a server on the SQLite file {@code db} and waits until {@code /health} answers. */
  static ServerProcess start(Path db, Path log, String... extraArgs) throws IOException {
    List<String> args = new ArrayList<>(List.of("--db", db.toString()));
    args.addAll(List.of(extraArgs));
    return start(freePort(), log, args);
  }

  /** Starts a server with {@code args} on {@code port} and waits until {@code /health} answers 200. */
  static ServerProcess start(int port, Path log, List<String> args) throws IOException {
    Path jar = Path.of("target", "tasklane.jar").toAbsolutePath();
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run 'mvn package' (failsafe runs after it)");
    }
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED",
        "-Xmx256m",
        "-jar", jar.toString(),
        "serve",
        "--port", Integer.toString(port)));
    command.addAll(args);
    Process p = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    ServerProcess server = new ServerProcess(p, port, log);
    await("server on port " + port + " answers /health (log: " + log + ")")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        // A server that exits will never answer: fail at once, with its log, instead of waiting out the minute.
        .failFast(() -> {
          if (!p.isAlive()) {
            throw new IllegalStateException("server exited with " + p.exitValue() + "; log: " + Files.readString(log));
          }
        })
        .until(() -> server.get("/health").statusCode() == 200);
    return server;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Submits a task through {@code /api/v1/tasks}, expects it accepted, and returns its id. */
  String submit(String body) throws IOException, InterruptedException {
    HttpResponse<String> r = post("/api/v1/tasks", body);
    if (r.statusCode() != 202) {
      throw new AssertionError("expected 202 for " + body + ", got " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body()).get("id").asText();
  }

  /** The task {@code id} as {@code /api/v1/tasks/{id}} shows it. */
  JsonNode task(String id) throws IOException, InterruptedException {
    return JSON.readTree(get("/api/v1/tasks/" + id).body());
  }

  /** SIGSTOP: the process freezes, its sockets stay open, its leases stop being renewed. */
  void freeze() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** SIGCONT: a frozen process resumes where it stopped. */
  void thaw() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed by the JVM. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** SIGTERM: the JVM runs its shutdown hooks (graceful drain). */
  int terminate(Duration timeout) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      process.waitFor();
      throw new IllegalStateException("server did not stop within " + timeout + "; log: " + log);
    }
    return process.exitValue();
  }

  String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
