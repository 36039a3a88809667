package dev.tasklane.spi;

import java.time.Instant;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * An API token as the store keeps it: never the secret itself, only its hash.
 *
 * <p>Stability: SPI; may gain fields in minor releases.
 *
 * @param id a stable public identifier (shown in lists and the audit log; not a secret)
 * @param name what its owner called it, unique among tokens not revoked
 * @param role the role it acts with
 * @param secretHash the hash of its secret, by which a request's token is found
 * @param createdAt when it was made
 * @param expiresAt when it stops working; {@code null} for never
 * @param lastUsedAt when it was last accepted (updated at most once a minute); {@code null} if never
 * @param revokedAt when it was revoked; {@code null} while active
 * @param types the task types it is limited to (a worker's token); empty: not limited
 * @param queues the queues it is limited to; empty: not limited
 */
public record StoredToken(
    String id,
    String name,
    String role,
    String secretHash,
    Instant createdAt,
    Instant expiresAt,
    Instant lastUsedAt,
    Instant revokedAt,
    Set<String> types,
    Set<String> queues) {
  public StoredToken {
    types = types == null ? Set.of() : Collections.unmodifiableSet(new TreeSet<>(types));
    queues = queues == null ? Set.of() : Collections.unmodifiableSet(new TreeSet<>(queues));
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(secretHash, "secretHash");
    Objects.requireNonNull(createdAt, "createdAt");
  }

  /** A token not limited to types or queues. */
  public StoredToken(
      String id,
      String name,
      String role,
      String secretHash,
      Instant createdAt,
      Instant expiresAt,
      Instant lastUsedAt,
      Instant revokedAt) {
    this(id, name, role, secretHash, createdAt, expiresAt, lastUsedAt, revokedAt, Set.of(), Set.of());
  }

  /** Whether it is limited to some task types or queues. */
  public boolean scoped() {
    return !types.isEmpty() || !queues.isEmpty();
  }

  /** Whether it may be used at {@code now}: neither revoked nor expired. */
  public boolean activeAt(Instant now) {
    return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
  }
}
