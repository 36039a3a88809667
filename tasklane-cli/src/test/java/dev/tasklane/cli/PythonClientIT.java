package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client's tests and the FastAPI example's, run with the machine's Debian Python
 * ({@code /usr/bin/python3} with {@code python3-pytest}, {@code python3-fastapi}, {@code
 * python3-uvicorn} and {@code python3-httpx}) against a real server the tests start from this
 * build's jar. A missing package fails the build with the command that installs it: these tests
 * are part of the suite, never skipped.
 */
class PythonClientIT {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final String PYTHON = "/usr/bin/python3";

  @TempDir Path dir;

  @Test
  void thePythonClientAndTheFastApiExamplePassTheirTestsAgainstThisBuild() throws Exception {
    requirePackages();
    Path jar = Path.of("target", "tasklane.jar").toAbsolutePath();
    assertThat(jar).as("the fat jar (failsafe runs after package)").exists();
    Path output = dir.resolve("pytest.log");
    List<String> command = new ArrayList<>(List.of(
        PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", dir.resolve("tmp").toString(),
        ROOT.resolve("clients/python/tests").toString(),
        ROOT.resolve("examples/fastapi-seed/tests").toString()));
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(ROOT.toFile())
        .redirectErrorStream(true)
        .redirectOutput(output.toFile());
    pb.environment().put("TASKLANE_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    pb.environment().put("TASKLANE_JAR", jar.toString());
    pb.environment().remove("TASKLANE_TOKEN");
    Process p = pb.start();
    boolean ended = p.waitFor(10, TimeUnit.MINUTES);
    if (!ended) {
      p.destroyForcibly();
    }
    String log = Files.readString(output);
    assertThat(ended).as("pytest ended within 10 minutes:\n" + log).isTrue();
    assertThat(p.exitValue()).as("pytest's exit status:\n" + log).isZero();
    assertThat(log).as("tests ran").containsPattern("\\d+ passed");
  }

  private static void requirePackages() throws IOException, InterruptedException {
    assertThat(Path.of(PYTHON)).as("Debian's Python at " + PYTHON).exists();
    Process check = new ProcessBuilder(PYTHON, "-c", "import pytest, fastapi, uvicorn, httpx")
        .redirectErrorStream(true)
        .start();
    String out = new String(check.getInputStream().readAllBytes());
    assertThat(check.waitFor())
        .as("Python packages for the client's tests are missing (" + out.strip() + "); install them with:"
            + " apt-get install -y python3-pytest python3-fastapi python3-uvicorn python3-httpx")
        .isZero();
  }
}
