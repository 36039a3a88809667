package dev.tasklane.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.RateLimit;
import dev.tasklane.TaskRequest;
import dev.tasklane.Worker;
import dev.tasklane.server.access.AccessControl;
import dev.tasklane.server.access.Permission;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;

/**
 * Rate limits under {@code /api/v1/rate-limits}: list ({@link Permission#READ}), set and delete
 * ({@link Permission#CONTROL_QUEUES}, audited). A limit is named by its scope and target: {@code
 * PUT /api/v1/rate-limits/queue/emails}, {@code .../type/call_partner}.
 */
final class RateLimitRoutes {
  private static final String LIMITS = TaskRoutes.API + "/rate-limits";
  private static final List<String> SCOPES = List.of("queue", "type");

  private final Worker worker;
  private final AccessControl access;

  RateLimitRoutes(Worker worker, AccessControl access) {
    this.worker = worker;
    this.access = access;
  }

  void register(RoutesConfig routes) {
    routes.get(LIMITS, ctx -> ctx.json(RateLimitsView.of(worker.rateLimits())), Permission.READ);
    routes.put(LIMITS + "/{scope}/{target}", this::set, Permission.CONTROL_QUEUES);
    routes.delete(LIMITS + "/{scope}/{target}", this::delete, Permission.CONTROL_QUEUES);
  }

  /**
   * {@code PUT .../{scope}/{target}} with {@code {"limit": int, "per": seconds, "burst": int,
   * "key_field": str}} ({@code per} defaults to 1 s, {@code burst} to {@code limit}): 200 with the
   * limit, in force at once here and within about a second on every node.
   */
  private void set(Context ctx) {
    FieldReader p = FieldReader.path(ctx.pathParamMap());
    String scope = p.literal("scope", true, SCOPES);
    String target = p.optionalString("target", 0, Integer.MAX_VALUE, TaskRequest.NAME);
    ObjectNode body = JsonBody.readObject(ctx);
    FieldReader f = FieldReader.body(body);
    Integer limit = f.integer("limit", null, false, 1, RateLimit.MAX_LIMIT);
    if (!body.has("limit")) {
      f.requiredString("limit"); // records "Field required"
    }
    BigDecimal per = f.optionalNumber("per", 0, false, RateLimit.MAX_PER.toSeconds());
    Integer burst = f.integer("burst", null, true, 1, RateLimit.MAX_LIMIT);
    String keyField = f.optionalString("key_field", 1, 100, RateLimit.KEY_FIELD);
    p.throwIfInvalid();
    f.throwIfInvalid();
    Duration window = per == null ? Duration.ofSeconds(1) : Duration.ofMillis(per.movePointRight(3).longValue());
    RateLimit rate;
    try {
      rate =
          new RateLimit(
              RateLimit.Scope.fromApiName(scope).orElseThrow(),
              target,
              limit,
              window,
              burst == null ? limit : burst,
              keyField);
    } catch (IllegalArgumentException e) {
      f.modelError(e.getMessage());
      f.throwIfInvalid();
      throw e;
    }
    worker.setRateLimit(rate);
    access.audit(ctx, "rate_limit.set", rate.name(), rate.describe());
    ctx.json(RateLimitsView.RateLimitView.of(rate));
  }

  private void delete(Context ctx) {
    FieldReader p = FieldReader.path(ctx.pathParamMap());
    String scope = p.literal("scope", true, SCOPES);
    String target = p.optionalString("target", 0, Integer.MAX_VALUE, TaskRequest.NAME);
    p.throwIfInvalid();
    if (!worker.deleteRateLimit(RateLimit.Scope.fromApiName(scope).orElseThrow(), target)) {
      ctx.status(HttpStatus.NOT_FOUND).json(new DetailView("Rate limit " + scope + ":" + target + " not found"));
      return;
    }
    access.audit(ctx, "rate_limit.delete", scope + ":" + target, null);
    ctx.status(HttpStatus.NO_CONTENT);
  }
}
