package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tasklane.TaskId;
import dev.tasklane.TaskState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** The dashboard, driven in headless Chromium against a real server over HTTP. */
class DashboardBrowserIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir Path dir;
  private ServerFixture node;
  private ChromeDriver browser;
  private WebDriverWait wait;

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
    node.release();
    node.close();
  }

  private void open(String fragment) {
    browser.get(node.uri("/").toString() + fragment);
  }

  /**
   * A count cell's text, read in one script call: the live page replaces its rows as updates
   * arrive, so an element found first and read after may already be gone.
   */
  private String cell(String queue, String count) {
    Object text =
        browser.executeScript(
            "const c = document.querySelector(arguments[0]); return c ? c.textContent.trim() : null;",
            "tr[data-queue='" + queue + "'] td[data-count='" + count + "']");
    return String.valueOf(text);
  }

  /**
   * Clicks an element once it can be clicked. A live update may replace it between finding and
   * clicking; a click on a replaced element never reaches the page, so it is found again.
   */
  private void click(By by) {
    wait.ignoring(StaleElementReferenceException.class).until(d -> {
      WebElement element = ExpectedConditions.elementToBeClickable(by).apply(d);
      if (element == null) {
        return false;
      }
      element.click();
      return true;
    });
  }

  private TaskState stateOf(String id) {
    return node.worker.get(new TaskId(UUID.fromString(id))).orElseThrow().state();
  }

  private void screenshot(String name) throws Exception {
    Path out = Path.of("target/screenshots");
    Files.createDirectories(out);
    Files.write(out.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void theOverviewUpdatesLiveWhileTasksRun() throws Exception {
    node.submit("{\"type\": \"noop\", \"queue\": \"reports\"}");
    open("#/");
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-queue='reports']")));
    Object loadedAt = browser.executeScript("return window.tasklaneLoadedAt");
    await().atMost(WAIT).until(() -> cell("reports", "succeeded").equals("1"));

    for (int i = 0; i < 4; i++) {
      node.submit("{\"type\": \"noop\", \"queue\": \"reports\"}");
    }

    await().atMost(WAIT).until(() -> cell("reports", "succeeded").equals("5"));
    assertThat(browser.executeScript("return window.tasklaneLoadedAt")).as("no reload").isEqualTo(loadedAt);
    assertThat(browser.findElement(By.id("live")).getText()).startsWith("live");
    screenshot("overview");
  }

  @Test
  void cancelAndRetryOnTheTaskPageChangeTheTaskInTheStore() throws Exception {
    String id = node.submit("{\"type\": \"noop\", \"delay\": 3600, \"payload\": {\"report\": 7}}").get("id").asText();
    open("#/tasks/" + id);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("explain"), "scheduled"));
    screenshot("task");

    click(By.id("cancel"));
    await().atMost(WAIT).until(() -> stateOf(id) == TaskState.CANCELLED);

    click(By.id("retry"));
    await().atMost(WAIT).until(() -> stateOf(id) == TaskState.SUCCEEDED);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("explain"), "finished"));
  }

  @Test
  void pausingAQueueFromTheOverviewStopsItsTasksFromStarting() {
    node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}");
    open("#/");
    click(By.cssSelector("tr[data-queue='mail'] button.danger"));
    await().atMost(WAIT).until(() -> node.worker.queues().stream().anyMatch(q -> q.name().equals("mail") && q.paused()));

    String held = node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}").get("id").asText();
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> stateOf(held) == TaskState.QUEUED);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("tr[data-queue='mail']"), "paused"));

    click(By.cssSelector("tr[data-queue='mail'] button:not(.danger)"));
    await().atMost(WAIT).until(() -> stateOf(held) == TaskState.SUCCEEDED);
  }

  @Test
  void aPayloadHoldingMarkupIsShownAsTextAndNeverRun() throws Exception {
    String hostile =
        "{\"type\": \"echo\", \"payload\": {\"html\": \"<script>window.pwned = 1</script><img src=x onerror=\\\"window.pwned = 2\\\">\"}}";
    String id = node.submit(hostile).get("id").asText();
    node.awaitState(id, "succeeded");

    open("#/tasks/" + id);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("payload"), "<script>"));
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("result"), "onerror"));

    assertThat(browser.findElement(By.id("payload")).getText()).contains("<script>window.pwned = 1</script>");
    assertThat(browser.findElements(By.cssSelector("#payload script, #payload img, #result img"))).isEmpty();
    assertThat(browser.executeScript("return window.pwned === undefined")).isEqualTo(true);
  }

  @Test
  void tasksAndNodesPagesListWhatTheStoreHolds() throws Exception {
    String id = node.submit("{\"type\": \"noop\", \"idempotency_key\": \"order-42\"}").get("id").asText();
    node.awaitState(id, "succeeded");
    open("#/tasks?q=order-42");
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-task='" + id + "']")));
    screenshot("tasks");

    open("#/nodes");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("nodes"), "test-node"));
    screenshot("nodes");

    browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
    open("#/");
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-queue='default']")));
    screenshot("overview-phone");
  }
}
