package dev.tasklane.server.access;

import dev.tasklane.server.LogText;
import dev.tasklane.spi.AccessStore;
import dev.tasklane.spi.AuditRecord;
import java.time.InstantSource;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who did what to which task, queue, token or user, and when: every change an operator makes and
 * every failed sign-in, kept in the store (so that every node's entries are in one list) and pruned
 * after {@link AccessConfig#auditRetention()}. Without a store (a server embedded without one) the
 * entries go to the log only.
 */
public final class AuditLog {
  private static final Logger log = LoggerFactory.getLogger("dev.tasklane.audit");

  private final AccessStore store;
  private final InstantSource clock;

  AuditLog(AccessStore store, InstantSource clock) {
    this.store = store;
    this.clock = clock;
  }

  /**
   * Records an action. A store that fails to take it costs a log line, not the action, which has
   * already happened.
   */
  public void record(String actor, String action, String target, String client, String detail) {
    AuditRecord entry = new AuditRecord(0, clock.instant(), actor, action, target, client, detail);
    log.info(
        "{} by {} from {}{}{}",
        action,
        LogText.quote(actor),
        client,
        target == null ? "" : " on " + LogText.quote(target),
        detail == null ? "" : ": " + LogText.quote(detail));
    if (store == null) {
      return;
    }
    try {
      store.appendAudit(entry);
    } catch (RuntimeException e) {
      log.warn("audit entry for {} could not be stored: {}", action, e.toString());
    }
  }

  /** A page of entries, newest first, below {@code beforeId} if given. */
  List<AuditRecord> list(Long beforeId, int limit) {
    return store == null ? List.of() : store.listAudit(beforeId, limit);
  }

  int prune(java.time.Duration retention) {
    return store == null ? 0 : store.pruneAudit(clock.instant().minus(retention));
  }
}
