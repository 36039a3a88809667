package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.sun.net.httpserver.HttpServer;
import dev.tasklane.TaskId;
import dev.tasklane.TaskQuery;
import dev.tasklane.TaskState;
import dev.tasklane.server.access.Role;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's door in headless Chromium: signing in and out, buttons only for what the role
 * may do, and a page of another origin that tries every state-changing route while the browser
 * holds a signed-in admin's cookie.
 */
class SecurityBrowserIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir Path dir;
  private ServerFixture node;
  private ChromeDriver browser;
  private WebDriverWait wait;
  private HttpServer attacker;

  @BeforeEach
  void start() {
    node = ServerFixture.start(dir);
    browser = Chromium.start(1280, 900);
    wait = new WebDriverWait(browser, WAIT);
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (attacker != null) {
      attacker.stop(0);
    }
    node.release();
    node.close();
  }

  private void signInWithToken(String token) {
    browser.get(node.uri("/login").toString());
    wait.until(ExpectedConditions.elementToBeClickable(By.id("token"))).sendKeys(token);
    browser.findElement(By.cssSelector("#with-token button")).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.id("who")));
  }

  @Test
  void aVisitorSignsInSeesOnlyTheButtonsItsRoleAllowsAndSignsOut() {
    String id = node.submit("{\"type\": \"noop\", \"delay\": 3600}").get("id").asText();
    String operator = node.token("ops", Role.OPERATOR);
    node.server.access().users().create("ada", Role.READER, "correct horse battery");
    node.server.access().credentialsChanged();

    browser.get(node.uri("/").toString() + "#/tasks/" + id);
    wait.until(ExpectedConditions.urlContains("/login"));

    browser.findElement(By.id("username")).sendKeys("ada");
    browser.findElement(By.id("password")).sendKeys("wrong horse battery");
    browser.findElement(By.cssSelector("#with-password button")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("error"), "not accepted"));

    browser.findElement(By.id("password")).clear();
    browser.findElement(By.id("password")).sendKeys("correct horse battery");
    browser.findElement(By.cssSelector("#with-password button")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "ada · reader"));
    assertThat(browser.getCurrentUrl()).as("back where it was sent from").endsWith("#/tasks/" + id);
    wait.until(d -> !d.findElements(By.cssSelector("#main [data-state]")).isEmpty());
    assertThat(browser.findElements(By.id("cancel"))).as("a reader gets no Cancel").isEmpty();
    browser.get(node.uri("/").toString() + "#/");
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-queue='default']")));
    assertThat(browser.findElements(By.cssSelector("tr[data-queue='default'] button"))).isEmpty();
    assertThat(browser.findElements(By.cssSelector("nav a[data-nav='audit']"))).as("audit is for admins").isEmpty();

    browser.findElement(By.id("sign-out")).click();
    wait.until(ExpectedConditions.urlContains("/login"));
    assertThat(browser.manage().getCookieNamed("tasklane_session")).isNull();

    signInWithToken(operator);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "ops · operator"));
    wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("tr[data-queue='default'] button[data-action='pause']")))
        .click();
    // The press went out with the session's CSRF token, or the server would have refused it.
    wait.until(d -> node.worker.queues().stream().anyMatch(q -> q.name().equals("default") && q.paused()));
    String admin = node.token("admin", Role.ADMIN);
    assertThat(node.send("GET", "/api/v1/audit", admin, null).body())
        .contains("\"actor\":\"ops\",\"action\":\"queue.pause\"");

    // An admin's page lists it, with the failed sign-in before it.
    browser.findElement(By.id("sign-out")).click();
    wait.until(ExpectedConditions.urlContains("/login"));
    signInWithToken(admin);
    browser.findElement(By.cssSelector("nav a[data-nav='audit']")).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#audit tr[data-action='queue.pause']")));
    assertThat(browser.findElement(By.cssSelector("#audit tr[data-action='queue.pause']")).getText())
        .contains("ops").contains("default");
    assertThat(browser.findElements(By.cssSelector("#audit tr[data-action='sign-in.failed']"))).hasSize(1);
  }

  @Test
  void aPageOfAnotherOriginChangesNothingWhileTheBrowserIsSignedIn() throws Exception {
    String scheduled = node.submit("{\"type\": \"noop\", \"delay\": 3600}").get("id").asText();
    String admin = node.token("admin", Role.ADMIN);
    long tasksBefore = node.worker.list(TaskQuery.all()).tasks().size();
    signInWithToken(admin);

    List<List<String>> routes =
        RoutePermissionsTest.RULES.keySet().stream()
            .map(r -> r.split(" ", 2))
            .filter(r -> !r[0].equals("GET"))
            .map(
                r ->
                    List.of(
                        r[0],
                        r[1].replace("{task_id}", scheduled)
                            .replace("{queue}", "default")
                            .replace("{token}", "admin")
                            .replace("{user}", "nobody")
                            .replace("{worker_id}", "py-1")
                            .replace("{name}", "nightly")
                            .replace("{scope}", "queue")
                            .replace("{target}", "default")))
            .toList();
    String target = node.server.url();
    // Another origin: same host, another port (and so the same site: the SameSite cookie is sent).
    attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] page = attackPage(target, routes).getBytes(StandardCharsets.UTF_8);
    attacker.createContext(
        "/",
        ex -> {
          ex.getResponseHeaders().add("Content-Type", "text/html; charset=utf-8");
          ex.sendResponseHeaders(200, page.length);
          ex.getResponseBody().write(page);
          ex.close();
        });
    attacker.start();

    Logger requests = (Logger) LoggerFactory.getLogger(TasklaneServer.class);
    Level level = requests.getLevel();
    requests.setLevel(Level.DEBUG);
    try (LogCapture log = LogCapture.of(TasklaneServer.class)) {
      browser.get("http://127.0.0.1:" + attacker.getAddress().getPort() + "/");
      new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> "done".equals(d.getTitle()));

      // Every simple request (one a browser sends without asking first) reached the server and
      // was refused; the others never left the browser, their preflight refused.
      Map<String, Long> refused =
          log.messages().stream()
              .filter(m -> m.contains("-> 403"))
              .collect(Collectors.groupingBy(m -> m.substring(0, m.indexOf(" ->")), Collectors.counting()));
      for (List<String> r : routes) {
        if (r.get(0).equals("POST")) {
          String path = r.get(1);
          assertThat(refused).as("POST " + path).containsKey("POST " + path);
        }
      }
      assertThat(log.messages()).noneMatch(m -> m.matches("(POST|PATCH|DELETE) .* -> 2\\d\\d .*"));
    } finally {
      requests.setLevel(level);
    }

    assertThat(node.worker.get(new TaskId(UUID.fromString(scheduled))).orElseThrow().state())
        .isEqualTo(TaskState.SCHEDULED);
    assertThat(node.worker.list(TaskQuery.all()).tasks()).hasSize((int) tasksBefore);
    assertThat(node.worker.schedules().list()).as("no schedule defined by another origin").isEmpty();
    assertThat(node.worker.rateLimits()).as("no rate limit set by another origin").isEmpty();
    assertThat(node.worker.queues()).noneMatch(q -> q.paused() || q.limit() != null);
    assertThat(node.server.access().tokens().list()).singleElement().matches(t -> t.revokedAt() == null);
    assertThat(node.server.access().users().list()).isEmpty();
    // Still signed in: the cross-site sign-out was refused too.
    browser.get(node.uri("/").toString());
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "admin · admin"));
  }

  /**
   * For each route: a JSON body sent as text/plain, a body-less request, and for POST an HTML
   * form with enctype text/plain into a frame; the title says when all are settled.
   */
  private static String attackPage(String target, List<List<String>> routes) {
    String list =
        routes.stream()
            .map(r -> "[\"" + r.get(0) + "\", \"" + r.get(1) + "\"]")
            .collect(Collectors.joining(", ", "[", "]"));
    return """
        <!doctype html><html><head><title>attacking</title></head><body><script>
        const target = "%s";
        const routes = %s;
        const body = '{"type":"noop","name":"evil","role":"admin","password":"aaaaaaaaaaaaaaaa","limit":1,"paused":true,"token":"x"}';
        const settled = [];
        routes.forEach(([method, path], i) => {
          const simple = method === "POST";
          const mode = simple ? "no-cors" : "cors";
          settled.push(fetch(target + path, {method, mode, credentials: "include",
              headers: {"Content-Type": "text/plain"}, body}).catch(() => {}));
          settled.push(fetch(target + path, {method, mode, credentials: "include"}).catch(() => {}));
          if (simple) {
            settled.push(new Promise((resolve) => {
              const frame = document.createElement("iframe");
              frame.name = "f" + i;
              frame.onload = resolve;
              document.body.append(frame);
              const form = document.createElement("form");
              form.method = "POST";
              form.enctype = "text/plain";
              form.action = target + path;
              form.target = frame.name;
              const input = document.createElement("input");
              input.name = '{"type":"noop","x":"';
              input.value = '"}';
              form.append(input);
              document.body.append(form);
              form.submit();
            }));
          }
        });
        Promise.all(settled).then(() => { document.title = "done"; });
        </script></body></html>
        """
        .formatted(target, list);
  }
}
