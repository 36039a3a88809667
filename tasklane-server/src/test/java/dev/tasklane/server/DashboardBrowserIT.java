package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tasklane.TaskId;
import dev.tasklane.TaskState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.interactions.Actions;
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

  /** A count cell's text, or "null" while its row is not on the page yet. */
  private String cell(String queue, String count) {
    Object text =
        browser.executeScript(
            "const c = document.querySelector(arguments[0]); return c ? c.textContent.trim() : null;",
            "tr[data-queue='" + queue + "'] td[data-count='" + count + "']");
    return String.valueOf(text);
  }

  /** Clicks an element once it can be clicked; live updates never replace a shown control. */
  private void click(By by) {
    wait.until(ExpectedConditions.elementToBeClickable(by)).click();
  }

  /** How many live updates the page has applied since it was opened. */
  private long refreshes() {
    Object n =
        browser.executeScript(
            "return Number(document.getElementById('main').dataset.refreshes || 0);");
    return ((Number) n).longValue();
  }

  /** Waits until the page has applied {@code count} more live updates. */
  private void awaitRefreshes(int count) {
    long target = refreshes() + count;
    wait.until(d -> refreshes() >= target);
  }

  /**
   * Whether {@code element} has the keyboard focus; throws StaleElementReferenceException if the
   * page has replaced it.
   */
  private boolean focused(WebElement element) {
    return Boolean.TRUE.equals(
        browser.executeScript("return document.activeElement === arguments[0];", element));
  }

  private void focus(WebElement element) {
    browser.executeScript("arguments[0].focus();", element);
    assertThat(focused(element)).as("focus taken").isTrue();
  }

  /** The texts of every element {@code css} matches, read in one script call. */
  @SuppressWarnings("unchecked")
  private List<String> texts(String css) {
    return (List<String>)
        browser.executeScript(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent);", css);
  }

  private String taskState(String id) {
    return node.task(id).get("state").asText();
  }

  private boolean paused(String queue) {
    return node.worker.queues().stream().anyMatch(q -> q.name().equals(queue) && q.paused());
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
    click(By.cssSelector("tr[data-queue='mail'] button[data-action='pause']"));
    await().atMost(WAIT).until(() -> paused("mail"));

    String held = node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}").get("id").asText();
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> stateOf(held) == TaskState.QUEUED);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("tr[data-queue='mail']"), "paused"));

    click(By.cssSelector("tr[data-queue='mail'] button[data-action='resume']"));
    await().atMost(WAIT).until(() -> stateOf(held) == TaskState.SUCCEEDED);
  }

  @Test
  void aFocusedCancelKeepsItsFocusThroughLiveRefreshesAndEnterCancelsThenRetries() {
    String id = node.submit("{\"type\": \"noop\", \"delay\": 3600}").get("id").asText();
    open("#/tasks/" + id);
    WebElement cancel = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("cancel")));
    focus(cancel);

    awaitRefreshes(2);
    assertThat(focused(cancel)).as("the same Cancel button still has the focus").isTrue();
    browser.switchTo().activeElement().sendKeys(Keys.ENTER);
    await().atMost(WAIT).until(() -> taskState(id).equals("cancelled"));

    // Cancel is gone once the task is cancelled; the focus moves to Retry, not to the page.
    WebElement retry = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("retry")));
    wait.until(d -> focused(retry));
    awaitRefreshes(2);
    assertThat(focused(retry)).as("the same Retry button still has the focus").isTrue();
    browser.switchTo().activeElement().sendKeys(Keys.ENTER);
    node.awaitState(id, "succeeded");
  }

  @Test
  void aPressOnCancelHeldThroughLiveRefreshesStillCancels() {
    String id = node.submit("{\"type\": \"noop\", \"delay\": 3600}").get("id").asText();
    open("#/tasks/" + id);
    WebElement cancel = wait.until(ExpectedConditions.elementToBeClickable(By.id("cancel")));

    new Actions(browser).moveToElement(cancel).clickAndHold().perform();
    awaitRefreshes(2);
    new Actions(browser).release().perform();

    await().atMost(WAIT).until(() -> taskState(id).equals("cancelled"));
  }

  @Test
  void aFocusedPauseButtonKeepsItsFocusWhileItsQueueRowChanges() {
    node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}");
    open("#/");
    await().atMost(WAIT).until(() -> cell("mail", "succeeded").equals("1"));
    WebElement toggle =
        browser.findElement(By.cssSelector("tr[data-queue='mail'] button[data-action='pause']"));
    focus(toggle);

    for (int i = 0; i < 3; i++) {
      node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}");
    }
    await().atMost(WAIT).until(() -> cell("mail", "succeeded").equals("4"));
    awaitRefreshes(2);
    assertThat(focused(toggle)).as("the same Pause button still has the focus").isTrue();

    browser.switchTo().activeElement().sendKeys(Keys.ENTER);
    await().atMost(WAIT).until(() -> paused("mail"));
    // The button turns into Resume where it stands, focus kept, so Enter again resumes.
    wait.until(d -> "resume".equals(toggle.getDomAttribute("data-action")));
    assertThat(focused(toggle)).isTrue();
    browser.switchTo().activeElement().sendKeys(Keys.ENTER);
    await().atMost(WAIT).until(() -> !paused("mail"));
  }

  @Test
  void aLimitBeingTypedSurvivesLiveUpdatesAndAnEmptyLimitRemovesIt() {
    node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}");
    open("#/");
    await().atMost(WAIT).until(() -> cell("mail", "succeeded").equals("1"));
    By limitCell = By.cssSelector("tr[data-queue='mail'] td[data-limit]");
    wait.until(ExpectedConditions.textToBe(limitCell, "none (node runs up to 5)"));
    WebElement limit =
        browser.findElement(By.cssSelector("tr[data-queue='mail'] input[type='number']"));
    limit.sendKeys(Keys.chord(Keys.CONTROL, "a"), "3");

    for (int i = 0; i < 3; i++) {
      node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}");
    }
    await().atMost(WAIT).until(() -> cell("mail", "succeeded").equals("4"));
    awaitRefreshes(2);
    assertThat(focused(limit)).as("the same field still has the focus").isTrue();
    assertThat(limit.getDomProperty("value")).as("what was typed").isEqualTo("3");

    limit.sendKeys(Keys.ENTER);
    await()
        .atMost(WAIT)
        .until(() -> Integer.valueOf(3).equals(node.store.queueLimits().get("mail")));
    wait.until(ExpectedConditions.textToBe(limitCell, "3 (node runs up to 5)"));

    limit.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE, Keys.ENTER);
    await().atMost(WAIT).until(() -> !node.store.queueLimits().containsKey("mail"));
    wait.until(ExpectedConditions.textToBe(limitCell, "none (node runs up to 5)"));
  }

  @Test
  void theChartsShowTheirAxesInNumbersAndUnitsOnADesktopAndAPhone() throws Exception {
    for (int i = 0; i < 5; i++) {
      node.submit("{\"type\": \"noop\", \"queue\": \"reports\"}");
    }
    open("#/");
    await().atMost(WAIT).until(() -> cell("reports", "succeeded").equals("5"));
    wait.until(d -> texts("#throughput .chart-summary").stream().anyMatch(t -> t.contains("peak")));

    String number = "\\d+(\\.\\d+)?";
    List<String> rates = texts("#throughput .y-axis text");
    assertThat(rates).hasSizeGreaterThanOrEqualTo(2).allMatch(t -> t.matches(number + " tasks/s"));
    assertThat(rates).anyMatch(t -> !t.startsWith("0 "));
    assertThat(texts("#waits .y-axis text"))
        .hasSizeGreaterThanOrEqualTo(2)
        .allMatch(t -> t.matches(number + " (ms|s|min)"));
    for (String chart : List.of("#throughput", "#waits")) {
      List<String> times = texts(chart + " .x-axis text");
      assertThat(times).first().isEqualTo("\u221260 min");
      assertThat(times).last().isEqualTo("now");
      assertThat(times).allMatch(t -> t.matches("\u2212\\d+ min|now"));
    }
    assertThat(browser.findElement(By.cssSelector("#throughput svg")).getDomAttribute("aria-label"))
        .matches(".*peak " + number + " tasks/s at \\d.*")
        .contains("5 runs in the last minute");
    assertThat(browser.findElement(By.cssSelector("#waits svg")).getDomAttribute("aria-label"))
        .matches(".*Latest " + number + " (ms|s|min) at .*peak " + number + " (ms|s|min) at .*");
    screenshot("charts");

    browser.manage().window().setSize(new Dimension(390, 844));
    awaitRefreshes(2);
    browser.executeScript("document.getElementById('throughput').scrollIntoView();");
    screenshot("charts-phone");
    // Every label lies inside its chart, the charts inside the screen, and no two time labels meet.
    Object problems =
        browser.executeScript(
            """
            const out = [];
            for (const svg of document.querySelectorAll("svg.chart")) {
              const box = svg.getBoundingClientRect();
              if (box.right > window.innerWidth + 0.5) out.push("chart wider than the screen");
              const texts = [...svg.querySelectorAll("text")];
              for (const t of texts) {
                const r = t.getBoundingClientRect();
                if (r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5
                    || r.bottom > box.bottom + 0.5) out.push("outside its chart: " + t.textContent);
                const scale = box.width / svg.viewBox.baseVal.width;
                if (parseFloat(getComputedStyle(t).fontSize) * scale < 11)
                  out.push("too small: " + t.textContent);
              }
              const times = [...svg.querySelectorAll(".x-axis text")]
                .map((t) => t.getBoundingClientRect());
              for (let i = 1; i < times.length; i++)
                if (times[i].left < times[i - 1].right) out.push("time labels overlap");
            }
            return out;
            """);
    assertThat((List<?>) problems).isEmpty();
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
    assertThat(browser.findElement(By.cssSelector("tr[data-node='test-node']")).getText()).contains("engine node");

    // A remote worker announces itself and takes a task while the page is open: its row appears
    // and shows the task it runs, from the page's live updates alone.
    RemoteWorker py = new RemoteWorker(node, "py-dash", null);
    py.announce(java.util.List.of("resize_image"), java.util.List.of("images"), 3);
    By row = By.cssSelector("tr[data-node='py-dash']");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(row, "worker: java-test (raw/1), queues images"));
    String remote = node.submit("{\"type\": \"resize_image\", \"queue\": \"images\"}").get("id").asText();
    assertThat(py.claim(1, 0)).hasSize(1);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(row, "resize_image " + remote.substring(0, 8)));
    assertThat(browser.findElement(row).getText()).contains("resize_image").contains("3");
    screenshot("nodes");

    browser.manage().window().setSize(new Dimension(390, 844));
    open("#/");
    wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-queue='default']")));
    screenshot("overview-phone");
  }

  /** The task the schedules page links as {@code name}'s last run, or null while it shows none. */
  private String lastRunLinked(String name) {
    Object href =
        browser.executeScript(
            "const a = document.querySelector(arguments[0]); return a ? a.getAttribute('href') : null;",
            "tr[data-schedule='" + name + "'] td[data-last] a");
    return href == null ? null : href.toString();
  }

  @Test
  void theSchedulesPageFollowsTicksLiveAndPausesAndRunsASchedule() throws Exception {
    assertThat(node.send("PUT", "/api/v1/schedules/pulse", null, "{\"every\": 1, \"task\": {\"type\": \"noop\"}}").status())
        .isEqualTo(201);
    open("#/schedules");
    // Set once the page's start-up (an asynchronous session read) is done.
    Object loadedAt = wait.until(d -> browser.executeScript("return window.tasklaneLoadedAt;"));

    // Ticks land while the page shows: the last run's link appears, then moves on, in place.
    String first = wait.until(d -> lastRunLinked("pulse"));
    WebElement pause = wait.until(ExpectedConditions.elementToBeClickable(
        By.cssSelector("tr[data-schedule='pulse'] button[data-action='pause']")));
    focus(pause);
    wait.until(d -> !first.equals(lastRunLinked("pulse")));
    assertThat(focused(pause)).as("the pause button keeps its focus through updates").isTrue();
    assertThat(browser.executeScript("return window.tasklaneLoadedAt;")).as("no reload").isEqualTo(loadedAt);
    String lastTask = lastRunLinked("pulse").replace("#/tasks/", "");
    assertThat(node.task(lastTask).get("idempotency_key").asText()).startsWith("schedule:pulse:");
    screenshot("schedules");

    pause.click();
    await().atMost(WAIT).until(() -> node.get("/api/v1/schedules/pulse").json().get("paused").asBoolean());
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("tr[data-schedule='pulse']"), "paused"));

    click(By.cssSelector("tr[data-schedule='pulse'] button[data-action='run']"));
    wait.until(d -> browser.getCurrentUrl().matches(".*#/tasks/[0-9a-f-]{36}$"));
    String ran = browser.getCurrentUrl().replaceAll(".*#/tasks/", "");
    await().atMost(WAIT).until(() -> taskState(ran).equals("succeeded"));
    assertThat(node.task(ran).get("idempotency_key").asText()).startsWith("schedule:pulse:run:");
    assertThat(node.get("/api/v1/schedules/pulse").json().get("last_task_id").asText()).isEqualTo(ran);
  }

  @Test
  void theRateLimitsPageSetsShowsAndRemovesALimitAndATaskPageSaysItIsHeld() {
    open("#/limits");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("rate-limits"), "No rate limit"));
    new org.openqa.selenium.support.ui.Select(browser.findElement(By.cssSelector("#set-rate-limit select"))).selectByValue("queue");
    browser.findElement(By.cssSelector("#set-rate-limit input[aria-label='Queue or type']")).sendKeys("partner");
    browser.findElement(By.cssSelector("#set-rate-limit input[aria-label='Starts']")).sendKeys("1");
    WebElement per = browser.findElement(By.cssSelector("#set-rate-limit input[aria-label='Per seconds']"));
    per.clear();
    per.sendKeys("60");
    click(By.cssSelector("#set-rate-limit button[type='submit']"));

    await().atMost(WAIT).until(() -> !node.worker.rateLimits().isEmpty());
    assertThat(node.worker.rateLimits().get(0).limit()).isEqualTo(1);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(
        By.cssSelector("tr[data-rate-limit='queue:partner'] td[data-rate]"), "1 per 60 s, burst 1"));

    // A held task's page explains it.
    String first = node.submit("{\"type\": \"noop\", \"queue\": \"partner\"}").get("id").asText();
    await().atMost(WAIT).until(() -> taskState(first).equals("succeeded"));
    String held = node.submit("{\"type\": \"noop\", \"queue\": \"partner\"}").get("id").asText();
    await().atMost(WAIT).until(() -> taskState(held).equals("scheduled")
        && node.get("/api/v1/tasks/" + held + "/explain").json().get("code").asText().equals("rate_limited"));
    open("#/tasks/" + held);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"), "Rate limit queue:partner"));

    open("#/limits");
    click(By.cssSelector("tr[data-rate-limit='queue:partner'] button[data-action='delete']"));
    await().atMost(WAIT).until(() -> node.worker.rateLimits().isEmpty());
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("rate-limits"), "No rate limit"));
  }
}
