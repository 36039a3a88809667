package dev.tasklane.server;

import dev.tasklane.server.access.AccessDeniedException;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.tasklane.IllegalTransitionException;
import dev.tasklane.QueueFullException;
import dev.tasklane.StoreException;
import dev.tasklane.ScheduleNotFoundException;
import dev.tasklane.TaskNotFoundException;
import dev.tasklane.LeaseLostException;
import dev.tasklane.NodeIdInUseException;
import dev.tasklane.UnknownTaskTypeException;
import dev.tasklane.remote.UnknownWorkerException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import io.javalin.http.MethodNotAllowedResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where exceptions become HTTP responses. Every error is JSON in FastAPI's shape,
 * {@code {"detail": ...}}; no response ever carries a stack trace.
 *
 * <table>
 *   <caption>Mapping</caption>
 *   <tr><th>exception</th><th>status</th></tr>
 *   <tr><td>{@link RequestValidationException}, {@link UnknownTaskTypeException}</td><td>422</td></tr>
 *   <tr><td>{@link TaskNotFoundException}, {@link ScheduleNotFoundException}</td><td>404</td></tr>
 *   <tr><td>{@link IllegalTransitionException}</td><td>409</td></tr>
 *   <tr><td>{@link LeaseLostException}, {@link UnknownWorkerException}, {@link
 *       NodeIdInUseException} (the worker protocol)</td><td>409 with a {@code code}</td></tr>
 *   <tr><td>{@link ClientErrorException} (a body cut short, an unknown charset)</td><td>its status</td></tr>
 *   <tr><td>{@link AccessDeniedException} (no credential, wrong role, foreign host or origin, a
 *       body that is not JSON, too many failed sign-ins)</td><td>its status and headers</td></tr>
 *   <tr><td>{@link QueueFullException}</td><td>429 + Retry-After</td></tr>
 *   <tr><td>{@link StoreException}</td><td>503 + Retry-After</td></tr>
 *   <tr><td>Javalin's {@link HttpResponseException} (no route, wrong method, body too
 *       large)</td><td>its status</td></tr>
 *   <tr><td>anything else</td><td>500, logged</td></tr>
 * </table>
 */
final class ErrorMapping {
  private static final Logger log = LoggerFactory.getLogger(ErrorMapping.class);

  /** How long a client should wait after a store failure before trying again. */
  static final Duration STORE_RETRY_AFTER = Duration.ofSeconds(5);

  private static final String INTERNAL_ERROR_BODY = "{\"detail\":\"Internal Server Error\"}";

  private ErrorMapping() {}

  /** Registers every mapper on the config's routes, and a JSON handler for {@link Error}s. */
  static void install(JavalinConfig config, long maxRequestBytes) {
    var routes = config.routes;
    routes.exception(
        RequestValidationException.class,
        (e, ctx) -> ctx.status(HttpStatus.UNPROCESSABLE_CONTENT).json(new DetailView(e.errors())));
    routes.exception(
        UnknownTaskTypeException.class,
        (e, ctx) -> ctx.status(HttpStatus.UNPROCESSABLE_CONTENT).json(unknownType(e)));
    routes.exception(
        TaskNotFoundException.class,
        (e, ctx) ->
            ctx.status(HttpStatus.NOT_FOUND)
                .json(new DetailView("Task " + e.taskId() + " not found")));
    routes.exception(
        ScheduleNotFoundException.class,
        (e, ctx) ->
            ctx.status(HttpStatus.NOT_FOUND).json(new DetailView("Schedule " + e.name() + " not found")));
    routes.exception(
        IllegalTransitionException.class,
        (e, ctx) -> ctx.status(HttpStatus.CONFLICT).json(new DetailView(e.getMessage())));
    routes.exception(ClientErrorException.class, ErrorMapping::clientError);
    // The worker protocol's conflicts carry a code, so that a client can tell them apart.
    routes.exception(
        LeaseLostException.class,
        (e, ctx) -> ctx.status(HttpStatus.CONFLICT).json(new CodedDetailView(e.getMessage(), "stale_run")));
    routes.exception(
        UnknownWorkerException.class,
        (e, ctx) ->
            ctx.status(HttpStatus.CONFLICT).json(new CodedDetailView(e.getMessage(), "unknown_worker")));
    routes.exception(
        NodeIdInUseException.class,
        (e, ctx) ->
            ctx.status(HttpStatus.CONFLICT).json(new CodedDetailView(e.getMessage(), "worker_id_in_use")));
    routes.exception(
        AccessDeniedException.class,
        (e, ctx) -> {
          e.headers().forEach(ctx::header);
          ctx.status(e.status()).json(new DetailView(e.getMessage()));
        });
    routes.exception(QueueFullException.class, ErrorMapping::queueFull);
    routes.exception(StoreException.class, ErrorMapping::storeFailed);
    routes.exception(
        HttpResponseException.class, (e, ctx) -> httpResponse(e, ctx, maxRequestBytes));
    routes.exception(Exception.class, ErrorMapping::unexpected);
    // Errors (OutOfMemoryError, StackOverflowError, ...) bypass the exception mappers; Javalin
    // hands them to this handler with only the servlet response left to write.
    config.router.javaLangErrorHandler(
        (res, error) -> {
          log.error("error while serving a request", error);
          res.setStatus(500);
          res.setContentType("application/json");
          try {
            res.getOutputStream().write(INTERNAL_ERROR_BODY.getBytes(StandardCharsets.UTF_8));
          } catch (IOException | IllegalStateException ignored) {
            // The response may be committed or the client gone; the status is what can be set.
          }
        });
  }

  private static DetailView unknownType(UnknownTaskTypeException e) {
    String expected = FieldReader.expectedList(new TreeSet<>(e.knownTypes()));
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("expected", expected);
    return new DetailView(
        List.of(
            new FieldError(
                "literal_error",
                List.of("body", "type"),
                "Input should be " + expected,
                JsonNodeFactory.instance.textNode(e.type()),
                ctx)));
  }

  /**
   * A request attribute set by a submit route whose body named its queue: only then does a 429
   * point at the {@code queue} field.
   */
  static final String QUEUE_NAMED = "tasklane.queue-named";

  private static void clientError(ClientErrorException e, Context ctx) {
    if (e.status() == HttpStatus.BAD_REQUEST.getCode()) {
      // A client's mistake, worth a line when a proxy or client library cuts bodies; never a trace.
      log.warn(
          "{} {} from {}: {}",
          ctx.method(),
          LogText.quote(ctx.path(), 120),
          ctx.ip(),
          e.getMessage());
    }
    ctx.status(e.status()).json(new DetailView(e.getMessage()));
  }

  private static void queueFull(QueueFullException e, Context ctx) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("queue", e.queue());
    details.put("limit", e.limit());
    ctx.status(HttpStatus.TOO_MANY_REQUESTS)
        .header(Header.RETRY_AFTER, retryAfterSeconds(e.retryAfter()))
        .json(
            new DetailView(
                List.of(
                    new FieldError(
                        "queue_full",
                        Boolean.TRUE.equals(ctx.attribute(QUEUE_NAMED))
                            ? List.of("body", "queue")
                            : List.of("body"),
                        e.getMessage(),
                        JsonNodeFactory.instance.textNode(e.queue()),
                        details))));
  }

  private static void storeFailed(StoreException e, Context ctx) {
    // The cause may name tables, files or SQL: it goes to the log, not to the client.
    log.error(
        "store operation '{}' failed serving {} {}",
        e.operation(),
        ctx.method(),
        LogText.quote(ctx.path(), 120),
        e);
    ctx.status(HttpStatus.SERVICE_UNAVAILABLE)
        .header(Header.RETRY_AFTER, retryAfterSeconds(STORE_RETRY_AFTER))
        .json(new DetailView("The task store is unavailable; try again later"));
  }

  private static void httpResponse(HttpResponseException e, Context ctx, long maxRequestBytes) {
    int status = e.getStatus();
    String detail =
        status == HttpStatus.CONTENT_TOO_LARGE.getCode()
            ? "Request body too large: at most " + maxRequestBytes + " bytes"
            : HttpStatus.forStatus(status).getMessage();
    if (e instanceof MethodNotAllowedResponse) {
      String allowed = e.getDetails().get("availableMethods");
      if (allowed == null) {
        allowed = e.getDetails().get("Available methods");
      }
      if (allowed != null) {
        ctx.header(Header.ALLOW, allowed);
      }
    }
    ctx.status(status).json(new DetailView(detail));
  }

  private static void unexpected(Exception e, Context ctx) {
    log.error("unexpected failure serving {} {}", ctx.method(), LogText.quote(ctx.path(), 120), e);
    ctx.status(HttpStatus.INTERNAL_SERVER_ERROR).json(new DetailView("Internal Server Error"));
  }

  /** Whole seconds, rounded up, at least 1: a client must not retry at once. */
  static String retryAfterSeconds(Duration d) {
    long seconds = d.toSeconds() + (d.toNanosPart() > 0 ? 1 : 0);
    return Long.toString(Math.max(1, seconds));
  }
}
