package dev.tasklane.spi;

import java.time.Instant;
import java.util.Objects;

/**
 * One line of the audit log: who did what to what, and when.
 *
 * <p>Stability: SPI; may gain fields in minor releases.
 *
 * @param id increasing with time within one store; 0 in an entry not yet appended (the store
 *     assigns it)
 * @param at when it happened
 * @param actor who did it: a token's or user's name, {@code local} for an open loopback server,
 *     or {@code anonymous} for a refused request
 * @param action what was done, e.g. {@code task.cancel}, {@code token.revoke}, {@code
 *     sign-in.failed}
 * @param target what it was done to (a task id, a queue or token name); {@code null} if nothing
 * @param client the client's address
 * @param detail anything else worth keeping; {@code null} if nothing
 */
public record AuditRecord(
    long id, Instant at, String actor, String action, String target, String client, String detail) {
  public AuditRecord {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    Objects.requireNonNull(client, "client");
  }
}
