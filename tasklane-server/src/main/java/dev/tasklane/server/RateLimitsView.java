package dev.tasklane.server;

import dev.tasklane.RateLimit;
import java.math.BigDecimal;
import java.util.List;

/** {@code GET /api/v1/rate-limits}: every rate limit. */
record RateLimitsView(List<RateLimitView> rateLimits) {

  static RateLimitsView of(List<RateLimit> all) {
    return new RateLimitsView(all.stream().map(RateLimitView::of).toList());
  }

  /** One limit: {@code limit} starts per {@code per} seconds, {@code burst}, keyed or not. */
  record RateLimitView(
      String name, String scope, String target, int limit, BigDecimal per, int burst, String keyField) {
    static RateLimitView of(RateLimit l) {
      return new RateLimitView(
          l.name(), l.scope().apiName(), l.target(), l.limit(), TaskView.seconds(l.per()), l.burst(), l.keyField());
    }
  }
}
