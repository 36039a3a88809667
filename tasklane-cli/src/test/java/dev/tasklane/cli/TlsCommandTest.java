package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tasklane.testkit.TestCertificate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve --tls-cert --tls-key}, and the client commands over HTTPS with {@code --ca-cert}. */
class TlsCommandTest {
  private static final Pattern LISTENING =
      Pattern.compile("Tasklane listening on (https://127\\.0\\.0\\.1:\\d+) ");

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

  @Test
  void theClientCommandsTalkHttpsToAServerWithATestCertificate() {
    TestCertificate cert = TestCertificate.create(dir);
    serve = new CliRun();
    background.submit(
        () ->
            serve.execute(
                "serve", "--port", "0", "--db", dir.resolve("t.db").toString(), "--tls-cert",
                cert.certificate().toString(), "--tls-key", cert.privateKey().toString()));
    Matcher m =
        await().atMost(Duration.ofSeconds(30)).until(() -> LISTENING.matcher(serve.out()), Matcher::find);
    String url = m.group(1);

    CliRun submit = new CliRun();
    assertThat(submit.execute("submit", "noop", "--server", url, "--ca-cert", cert.certificate().toString()))
        .as(submit.err())
        .isZero();
    assertThat(submit.out()).contains("\"type\" : \"noop\"");

    CliRun untrusted = new CliRun();
    assertThat(untrusted.execute("status", "--server", url)).isEqualTo(ExitCodes.FAILED);
    assertThat(untrusted.err()).contains("cannot talk TLS").contains("--ca-cert");
  }

  @Test
  void halfATlsConfigurationIsAUsageError() {
    CliRun run = new CliRun();
    assertThat(run.execute("serve", "--tls-cert", "x.pem", "--db", dir.resolve("t.db").toString()))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--tls-cert and --tls-key go together");
  }
}
