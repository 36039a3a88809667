package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher ({@code ./tasklane}) prepares its start-up caches once per build and starts every
 * command from the right one. Run on a copy of the launcher beside the built jar, so it never
 * rebuilds the project it is tested from.
 *
 * <p>Which cache a JVM used shows in its class-loading log ({@code -Xlog:class+load}, given through
 * {@code TASKLANE_JAVA_OPTS}): a Tasklane class read from the "shared objects file" came from a
 * cache the launcher handed over, and one the JVM accepted.
 */
class LauncherStartupCacheIT {
  private static final int FIRST_JDK_WITH_AOT_CACHE = 25;

  @TempDir Path home;

  @Test
  void preparesBothCachesOnceAndStartsEachCommandFromItsOwn() throws Exception {
    Path target = install(Path.of("target", "tasklane.jar"));
    boolean aot = Runtime.version().feature() >= FIRST_JDK_WITH_AOT_CACHE;
    String ext = aot ? "aot" : "jsa";
    String jdk = System.getProperty("java.version");

    Run first = run(Map.of(), "--version");
    assertThat(first.code).as(first.toString()).isZero();
    assertThat(first.err).contains("preparing the start-up caches");
    assertThat(first.out).startsWith("tasklane ");
    assertThat(target.resolve("serve-" + jdk + "." + ext)).isNotEmptyFile();
    assertThat(target.resolve("client-" + jdk + "." + ext)).isNotEmptyFile();

    Run again = run(Map.of(), "--version");
    assertThat(again.code).as(again.toString()).isZero();
    assertThat(again.err).as("made once per build").doesNotContain("preparing");

    String cli = "dev.tasklane.cli.TasklaneCli source: shared objects file";
    String jetty = "org.eclipse.jetty.server.Server source: shared objects file";
    String client = classesLoaded(Map.of(), "--version");
    assertThat(client).as("a short command starts from a cache").contains(cli).doesNotContain(jetty);
    String none = classesLoaded(Map.of("TASKLANE_STARTUP_CACHE", "off"), "--version");
    assertThat(none).as("without a cache, the same line is not there").doesNotContain(cli);
    if (aot) {
      // JDK 25 loads every class of its cache at start: the server's cache shows as Jetty.
      assertThat(classesLoaded(Map.of(), "serve", "--help")).as("serve starts from its own cache").contains(jetty);
    }
  }

  /** The JVM's class-loading log of one command: where each class came from. */
  private String classesLoaded(Map<String, String> env, String... args) throws Exception {
    Path log = Files.createTempFile(home, "classes", ".log");
    Map<String, String> all = new HashMap<>(env);
    all.put("TASKLANE_JAVA_OPTS", "-Xlog:class+load=info:file=" + log);
    Run r = run(all, args);
    assertThat(r.code).as(r.toString()).isZero();
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  /**
   * A training that fails leaves the command to start without a cache, and is not tried again on
   * every command. Here the jar is the CLI module's own, without its dependencies or a main class:
   * the training fails to load picocli, and the command's own error (no main class) shows that the
   * launcher went on to start it.
   */
  @Test
  void aFailedTrainingStartsTheCommandAnywayAndIsNotRetriedUntilTheJarChanges() throws Exception {
    Path thin;
    try (var files = Files.list(Path.of("target"))) {
      thin =
          files
              .filter(f -> f.getFileName().toString().matches("tasklane-cli-.*\\.jar"))
              .filter(f -> !f.getFileName().toString().contains("sources"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("the CLI module's own jar is missing"));
    }
    Path target = install(thin);

    Run first = run(Map.of(), "--version");
    assertThat(first.err).contains("preparing the start-up caches").contains("no start-up cache for serve")
        .contains("no start-up cache for client");
    assertThat(first.err).as("the command itself ran: " + first).contains("no main manifest attribute");
    String jdk = System.getProperty("java.version");
    assertThat(target.resolve("startup-cache-" + jdk + ".failed")).exists();
    assertThat(target.resolve("serve-" + jdk + ".aot")).as("a failed training's cache is not kept").doesNotExist();
    assertThat(target.resolve("serve-" + jdk + ".jsa")).doesNotExist();

    Run again = run(Map.of(), "--version");
    assertThat(again.err).as("not retried: " + again).doesNotContain("preparing").contains("no main manifest attribute");
  }

  /** A copy of the launcher beside {@code jar} (linked as the fat jar) in the test's home. */
  private Path install(Path jar) throws IOException {
    Path launcher = Path.of("..", "tasklane").toAbsolutePath().normalize();
    assertThat(jar).as("the jar (failsafe runs after package)").exists();
    Files.copy(launcher, home.resolve("tasklane"));
    Files.setPosixFilePermissions(home.resolve("tasklane"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Path target = Files.createDirectories(home.resolve("tasklane-cli").resolve("target"));
    Files.createSymbolicLink(target.resolve("tasklane.jar"), jar.toAbsolutePath());
    return target;
  }

  private record Run(int code, String out, String err) {}

  private Run run(Map<String, String> env, String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 1];
    command[0] = home.resolve("tasklane").toString();
    System.arraycopy(args, 0, command, 1, args.length);
    ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile());
    pb.environment().remove("TASKLANE_JAVA_OPTS");
    pb.environment().remove("TASKLANE_STARTUP_CACHE");
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(env);
    Path out = Files.createTempFile(home, "out", ".txt");
    Path err = Files.createTempFile(home, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("./tasklane " + String.join(" ", args) + " did not end in 5 minutes");
    }
    return new Run(
        p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }
}
