package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tasklane serve} that cannot listen, or cannot write its database's folder, says which and
 * where in one line, before it opens (and migrates) the store.
 */
class ServeStartChecksTest {
  /** TEST-NET-1 (RFC 5737): documentation only, never an address of this machine. */
  private static final String FOREIGN_ADDRESS = "192.0.2.1";

  @TempDir Path dir;

  @Test
  void anAddressThisMachineLacksIsNamedBeforeTheStoreOpens() throws IOException {
    assumeThat(NetworkInterface.getByInetAddress(InetAddress.getByName(FOREIGN_ADDRESS))).isNull();
    Path db = dir.resolve("data").resolve("tasklane.db");
    int port = freePort();
    CliRun run = new CliRun();

    int code = run.execute("serve", "--bind", FOREIGN_ADDRESS, "--port", "" + port, "--db", db.toString());

    assertThat(code).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err())
        .startsWith(
            "tasklane serve: cannot listen on " + FOREIGN_ADDRESS + ":" + port + ": this machine has no such address")
        .doesNotContain("in use")
        .hasLineCount(1);
    assertThat(db.getParent()).as("the store was never opened").doesNotExist();
    assertThat(run.out()).doesNotContain("listening");
  }

  @Test
  void aTakenPortIsNamedBeforeTheStoreOpens() throws IOException {
    Path db = dir.resolve("data").resolve("tasklane.db");
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      CliRun run = new CliRun();

      int code = run.execute("serve", "--bind", "127.0.0.1", "--port", "" + port, "--db", db.toString());

      assertThat(code).isEqualTo(ExitCodes.FAILED);
      assertThat(run.err())
          .startsWith("tasklane serve: port " + port + " on 127.0.0.1 is already in use")
          .hasLineCount(1);
      assertThat(db.getParent()).as("the store was never opened").doesNotExist();
    }
  }

  @Test
  void theHttpServersOwnBindFailureIsWordedTheSameWay() {
    // Javalin wraps Jetty's IOException, which wraps the socket's BindException.
    Exception inUse =
        new RuntimeException(
            "Port already in use.",
            new IOException("Failed to bind to /127.0.0.1:8000", new BindException("Address already in use")));
    Exception noAddress =
        new RuntimeException(
            "Port already in use.",
            new IOException("Failed to bind", new BindException("Cannot assign requested address")));

    assertThat(StartChecks.listenFailure("127.0.0.1", 8000, inUse))
        .startsWith("port 8000 on 127.0.0.1 is already in use");
    assertThat(StartChecks.listenFailure("10.255.255.1", 8000, noAddress))
        .startsWith("cannot listen on 10.255.255.1:8000: this machine has no such address");
    assertThat(StartChecks.listenFailure(FOREIGN_ADDRESS, 8000, new RuntimeException("Port already in use.")))
        .as("without the socket's reason, a foreign address is still told apart")
        .startsWith("cannot listen on " + FOREIGN_ADDRESS + ":8000: this machine has no such address");
  }

  @Test
  void aDatabaseUnderAFileSaysNotADirectory() throws IOException {
    Path file = Files.writeString(dir.resolve("file.txt"), "not a folder");
    CliRun run = new CliRun();

    int code =
        run.execute("serve", "--port", "" + freePort(), "--db", file.resolve("tasklane.db").toString());

    assertThat(code).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err())
        .isEqualTo(
            "tasklane serve: cannot open the database "
                + file.resolve("tasklane.db")
                + ": "
                + file
                + " is a file, not a directory"
                + System.lineSeparator());
    CliRun deeper = new CliRun();
    assertThat(deeper.execute("serve", "--port", "" + freePort(), "--db", file.resolve("sub/tasklane.db").toString()))
        .isEqualTo(ExitCodes.FAILED);
    assertThat(deeper.err()).contains("not a directory").contains(file.toString()).hasLineCount(1);
  }

  @Test
  void aDatabaseThatIsAFolderSaysSo() throws IOException {
    Path folder = Files.createDirectories(dir.resolve("tasklane.db"));
    CliRun run = new CliRun();

    assertThat(run.execute("serve", "--port", "" + freePort(), "--db", folder.toString())).isEqualTo(ExitCodes.FAILED);
    assertThat(run.err()).contains(folder + ": it is a directory, not a file").hasLineCount(1);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return s.getLocalPort();
    }
  }
}
