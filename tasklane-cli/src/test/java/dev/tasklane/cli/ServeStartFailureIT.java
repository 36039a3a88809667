package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tasklane serve} as a real process, refused by the file system: the one line it prints and
 * its exit code, with no stack trace.
 *
 * <p>A folder's permissions bind root only when root gives up the capabilities that override them;
 * run as root, the server is started through {@code setpriv} without {@code CAP_DAC_OVERRIDE} and
 * {@code CAP_DAC_READ_SEARCH}, so the test checks the same refusal an ordinary user meets.
 */
class ServeStartFailureIT {
  private static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r-xr-xr-x");
  private static final Set<PosixFilePermission> WRITABLE = PosixFilePermissions.fromString("rwx------");

  @TempDir Path dir;

  @Test
  void aDatabaseFolderThatCannotBeWrittenOrCreatedSaysPermissionDeniedAndWhere() throws Exception {
    Path readOnly = Files.createDirectories(dir.resolve("read-only"));
    Files.setPosixFilePermissions(readOnly, READ_ONLY);
    try {
      Path inside = readOnly.resolve("tasklane.db");
      Result cannotWrite = serve(inside);
      assertThat(cannotWrite.exit()).as(cannotWrite.toString()).isEqualTo(ExitCodes.FAILED);
      assertThat(cannotWrite.stderr())
          .as(cannotWrite.toString())
          .isEqualTo(
              "tasklane serve: cannot open the database "
                  + inside
                  + ": permission denied (cannot write to the folder "
                  + readOnly
                  + ")\n");

      Path below = readOnly.resolve("sub").resolve("tasklane.db");
      Result cannotCreate = serve(below);
      assertThat(cannotCreate.exit()).as(cannotCreate.toString()).isEqualTo(ExitCodes.FAILED);
      assertThat(cannotCreate.stderr())
          .as(cannotCreate.toString())
          .isEqualTo(
              "tasklane serve: cannot open the database "
                  + below
                  + ": permission denied (cannot create the folder "
                  + readOnly.resolve("sub")
                  + ")\n");
      assertThat(cannotCreate.stdout()).as("nothing was opened, so nothing was logged").isEmpty();
    } finally {
      Files.setPosixFilePermissions(readOnly, WRITABLE);
    }
  }

  private record Result(int exit, String stdout, String stderr) {}

  private Result serve(Path db) throws IOException, InterruptedException {
    Path jar = Path.of("target", "tasklane.jar").toAbsolutePath();
    assertThat(jar).as("built by 'mvn package', which runs before the ITs").exists();
    List<String> command = new ArrayList<>();
    if (isRoot()) {
      command.addAll(withoutPermissionOverrides());
    }
    command.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--enable-native-access=ALL-UNNAMED",
            "-jar",
            jar.toString(),
            "serve",
            "--port",
            Integer.toString(ServerProcess.freePort()),
            "--db",
            db.toString()));
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("serve kept running on " + db + ": " + Files.readString(out));
    }
    Result result = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    if (isRoot() && result.stderr().startsWith("setpriv:")) {
      Assumptions.abort(
          "running as root, and setpriv cannot drop the capabilities that override folder"
              + " permissions here: " + result.stderr().strip());
    }
    return result;
  }

  private static boolean isRoot() throws IOException, InterruptedException {
    Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
    String uid = new String(id.getInputStream().readAllBytes()).strip();
    id.waitFor();
    return uid.equals("0");
  }

  /** {@code setpriv} that starts its command as root but without DAC overrides, or an abort. */
  private static List<String> withoutPermissionOverrides() {
    boolean found =
        Path.of("/usr/bin/setpriv").toFile().canExecute() || Path.of("/bin/setpriv").toFile().canExecute();
    Assumptions.assumeTrue(
        found,
        "running as root without setpriv (util-linux): a read-only folder does not stop root, so"
            + " permission denied cannot be tested here");
    return List.of("setpriv", "--bounding-set", "-dac_override,-dac_read_search");
  }
}
