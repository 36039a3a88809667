package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tasklane token}: a token made in the store before the server starts, and one made
 * through a running server; the server asks for them, and {@code submit} sends them.
 */
class TokenCommandTest {
  private static final Pattern LISTENING =
      Pattern.compile("Tasklane listening on (http://127\\.0\\.0\\.1:\\d+) ");

  @TempDir Path dir;
  private final ExecutorService background = Executors.newSingleThreadExecutor();
  private CliRun serve;

  @AfterEach
  void stop() throws Exception {
    if (serve != null) {
      serve.sigterm();
    }
    background.shutdown();
    assertThat(background.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
  }

  private String db() {
    return dir.resolve("tasklane.db").toString();
  }

  private String startServer() {
    serve = new CliRun();
    Future<Integer> exit =
        background.submit(() -> serve.execute("serve", "--port", "0", "--db", db(), "--node-id", "tokens"));
    Matcher m =
        await().atMost(Duration.ofSeconds(30)).until(() -> LISTENING.matcher(serve.out()), Matcher::find);
    assertThat(exit).isNotDone();
    return m.group(1);
  }

  @Test
  void aTokenMadeInTheStoreIsAskedForByTheServerAndSentBySubmit() {
    CliRun create = new CliRun();
    assertThat(create.execute("token", "create", "--name", "admin", "--role", "admin", "--db", db()))
        .as(create.err())
        .isZero();
    String secret = create.out().strip();
    assertThat(secret).startsWith("tlk_").hasSize(47);
    assertThat(create.err()).contains("shown only once");

    String url = startServer();
    assertThat(serve.out()).doesNotContain("No token or user exists");

    CliRun anonymous = new CliRun();
    assertThat(anonymous.execute("submit", "noop", "--server", url)).isEqualTo(ExitCodes.FAILED);
    assertThat(anonymous.err()).contains("401").contains("TASKLANE_TOKEN");

    CliRun withToken = new CliRun(Map.of("TASKLANE_TOKEN", secret));
    assertThat(withToken.execute("submit", "noop", "--server", url)).as(withToken.err()).isZero();

    // While the server holds the file, changes go through it.
    CliRun list = new CliRun(Map.of("TASKLANE_TOKEN", secret));
    assertThat(list.execute("token", "list", "--server", url)).as(list.err()).isZero();
    assertThat(list.out()).contains("admin").contains("active").doesNotContain(secret);

    CliRun direct = new CliRun();
    assertThat(direct.execute("token", "list", "--db", db())).isEqualTo(ExitCodes.FAILED);
    assertThat(direct.err()).contains("add --server");

    CliRun revoke = new CliRun(Map.of("TASKLANE_TOKEN", secret));
    assertThat(revoke.execute("token", "revoke", "admin", "--server", url)).as(revoke.err()).isZero();
    CliRun after = new CliRun(Map.of("TASKLANE_TOKEN", secret));
    assertThat(after.execute("submit", "noop", "--server", url)).isEqualTo(ExitCodes.FAILED);
    assertThat(after.err()).contains("401");
  }

  @Test
  void anOpenServerSaysHowToMakeTheFirstTokenAndMakesItThroughItsApi() {
    String url = startServer();
    assertThat(serve.out())
        .contains("No token or user exists yet")
        .contains("./tasklane token create --name admin --role admin --server " + url);

    CliRun create = new CliRun();
    assertThat(create.execute("token", "create", "--name", "admin", "--role", "admin", "--server", url))
        .as(create.err())
        .isZero();
    String secret = create.out().strip();
    assertThat(secret).startsWith("tlk_");

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> new CliRun().execute("status", "--server", url) == ExitCodes.FAILED);
    assertThat(new CliRun(Map.of("TASKLANE_TOKEN", secret)).execute("status", "--server", url)).isZero();
  }

  @Test
  void aServerOnTheNetworkWithoutCredentialsDoesNotStart() {
    CliRun run = new CliRun();
    int code = run.execute("serve", "--port", "0", "--bind", "0.0.0.0", "--db", db());
    assertThat(code).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err()).contains("refusing to listen on 0.0.0.0 without authentication");
  }
}
