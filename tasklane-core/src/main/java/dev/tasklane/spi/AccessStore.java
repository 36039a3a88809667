package dev.tasklane.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where a server keeps who may act on it: API tokens, dashboard users, signed-in sessions and the
 * audit log. It lives in the same database as the tasks, so every node of a cluster sees the same
 * credentials at once and a revocation made on one node holds on all of them.
 *
 * <p>The store keeps only what cannot be used to sign in if read: token and session secrets
 * arrive here already hashed, passwords as a memory-hard hash. Roles are kept as the server names
 * them; the store does not interpret them.
 *
 * <p>Every method is one transaction; a method that throws has changed nothing. Implementations
 * are thread-safe.
 *
 * <p>Stability: SPI; may gain methods (with defaults) in minor releases.
 */
public interface AccessStore {

  // ------------------------------------------------------------------ tokens

  /**
   * Adds a token.
   *
   * @return false, adding nothing, if a token that is not revoked already has its name
   */
  boolean insertToken(StoredToken token);

  /** The token with this secret's hash, revoked or expired ones included. */
  Optional<StoredToken> findTokenByHash(String secretHash);

  /** Every token, revoked ones included, oldest first. */
  List<StoredToken> listTokens();

  /**
   * Revokes the token that is not revoked yet and has this id or name.
   *
   * @return the revoked token, or empty if no such token was active
   */
  Optional<StoredToken> revokeToken(String idOrName, Instant at);

  /** Records that a token was used; a revoked or unknown token is left alone. */
  void touchToken(String id, Instant at);

  /**
   * Whether credentials were ever configured: any token (revoked and expired ones included) or any
   * user. A server with none may run open on loopback; one that had some stays closed.
   */
  boolean hasCredentials();

  // ------------------------------------------------------------------ users

  /**
   * Adds a dashboard user.
   *
   * @return false, adding nothing, if the name is taken
   */
  boolean insertUser(StoredUser user);

  Optional<StoredUser> findUser(String name);

  /** Every user, by name. */
  List<StoredUser> listUsers();

  /**
   * Deletes a user and every session it signed in.
   *
   * @return whether the user existed
   */
  boolean deleteUser(String name);

  // ------------------------------------------------------------------ sessions

  void insertSession(StoredSession session);

  /** The session with this secret's hash, if it has not been deleted. */
  Optional<StoredSession> findSession(String secretHash);

  /** Moves a session's last activity, which its idle timeout counts from. */
  void touchSession(String secretHash, Instant at);

  /** Signs a session out. */
  void deleteSession(String secretHash);

  /** Deletes the sessions idle since before {@code idleBefore} or created before {@code createdBefore}. */
  int deleteStaleSessions(Instant idleBefore, Instant createdBefore);

  // ------------------------------------------------------------------ audit

  /** Appends an entry; its id and time are the ones given. */
  void appendAudit(AuditRecord entry);

  /**
   * A page of the audit log, newest first.
   *
   * @param beforeId only entries older than this id; {@code null} for the newest
   * @param limit at most this many
   */
  List<AuditRecord> listAudit(Long beforeId, int limit);

  /** Deletes the entries recorded before {@code cutoff}; returns how many. */
  int pruneAudit(Instant cutoff);
}
