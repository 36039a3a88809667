package dev.tasklane.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.spi.AccessStore;
import dev.tasklane.spi.AuditRecord;
import dev.tasklane.spi.StoredSession;
import dev.tasklane.spi.StoredToken;
import dev.tasklane.spi.StoredUser;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What every {@link AccessStore} must do, run against each real store by a subclass that supplies
 * {@link #access()} over a database that holds no tokens, users, sessions or audit entries.
 */
public abstract class AccessStoreContract {
  private static final Instant T0 = MutableClock.DEFAULT_START;

  /** The store under test, over an empty database of this test's own. */
  protected abstract AccessStore access();

  private static StoredToken token(String id, String name, String hash, Instant expiresAt) {
    return new StoredToken(id, name, "operator", hash, T0, expiresAt, null, null);
  }

  private static StoredSession session(String hash, String principal, String tokenId, Instant at) {
    return new StoredSession(hash, principal, "reader", tokenId, "csrf-" + hash, at, at);
  }

  // ---------------------------------------------------------------- tokens

  @Test
  void aTokenIsFoundByItsHashWithEveryFieldAsWritten() {
    Instant expires = T0.plus(Duration.ofDays(30)).plusMillis(123);
    assertThat(access().insertToken(token("tok_1", "ci deploys", "h1", expires))).isTrue();

    assertThat(access().findTokenByHash("h1"))
        .contains(new StoredToken("tok_1", "ci deploys", "operator", "h1", T0, expires, null, null));
    assertThat(access().findTokenByHash("h2")).isEmpty();
  }

  @Test
  void aTokensScopeIsKeptAndAnUnscopedTokenHasNone() {
    StoredToken worker =
        new StoredToken(
            "tok_w", "resizer", "worker", "hw", T0, null, null, null,
            java.util.Set.of("resize_image", "thumbnail"), java.util.Set.of("images"));
    assertThat(access().insertToken(worker)).isTrue();
    access().insertToken(token("tok_1", "ci", "h1", null));

    assertThat(access().findTokenByHash("hw")).contains(worker);
    assertThat(access().findTokenByHash("hw").orElseThrow().scoped()).isTrue();
    assertThat(access().findTokenByHash("h1").orElseThrow().scoped()).isFalse();
    assertThat(access().listTokens()).extracting(StoredToken::types)
        .contains(java.util.Set.of("resize_image", "thumbnail"));
  }

  @Test
  void anActiveTokensNameIsTakenUntilItIsRevoked() {
    assertThat(access().insertToken(token("tok_1", "ci", "h1", null))).isTrue();
    assertThat(access().insertToken(token("tok_2", "ci", "h2", null))).isFalse();
    assertThat(access().listTokens()).extracting(StoredToken::id).containsExactly("tok_1");

    access().revokeToken("ci", T0.plusSeconds(5));

    assertThat(access().insertToken(token("tok_2", "ci", "h2", null))).isTrue();
    assertThat(access().listTokens()).extracting(StoredToken::id).containsExactly("tok_1", "tok_2");
  }

  @Test
  void revokingByIdOrNameMarksTheTokenAndEndsItsSessions() {
    access().insertToken(token("tok_1", "one", "h1", null));
    access().insertToken(token("tok_2", "two", "h2", null));
    access().insertSession(session("s1", "one", "tok_1", T0));
    access().insertSession(session("s2", "two", "tok_2", T0));

    assertThat(access().revokeToken("tok_1", T0.plusSeconds(1)))
        .hasValueSatisfying(t -> assertThat(t.revokedAt()).isEqualTo(T0.plusSeconds(1)));
    assertThat(access().revokeToken("two", T0.plusSeconds(2))).isPresent();
    assertThat(access().revokeToken("two", T0.plusSeconds(3))).as("already revoked").isEmpty();
    assertThat(access().revokeToken("nobody", T0.plusSeconds(3))).isEmpty();

    assertThat(access().findTokenByHash("h1").orElseThrow().activeAt(T0.plusSeconds(9))).isFalse();
    assertThat(access().findTokenByHash("h2").orElseThrow().revokedAt())
        .isEqualTo(T0.plusSeconds(2));
    assertThat(access().findSession("s1")).isEmpty();
    assertThat(access().findSession("s2")).isEmpty();
  }

  @Test
  void touchingRecordsTheLastUseOfAnActiveTokenOnly() {
    access().insertToken(token("tok_1", "one", "h1", null));
    access().touchToken("tok_1", T0.plusSeconds(60));
    assertThat(access().findTokenByHash("h1").orElseThrow().lastUsedAt())
        .isEqualTo(T0.plusSeconds(60));

    access().revokeToken("tok_1", T0.plusSeconds(61));
    access().touchToken("tok_1", T0.plusSeconds(120));
    assertThat(access().findTokenByHash("h1").orElseThrow().lastUsedAt())
        .isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void credentialsExistOnceAnyTokenOrUserWasMadeEvenRevokedOrExpired() {
    assertThat(access().hasCredentials()).isFalse();

    access().insertToken(token("tok_1", "short", "h1", T0.plusSeconds(10)));
    assertThat(access().hasCredentials()).isTrue();
    access().revokeToken("tok_1", T0);
    assertThat(access().hasCredentials()).as("revoking the last token keeps the door shut").isTrue();
  }

  @Test
  void aUserAloneIsACredential() {
    access().insertUser(new StoredUser("ada", "admin", "$argon2id$x", T0));
    assertThat(access().hasCredentials()).isTrue();
  }

  // ---------------------------------------------------------------- users

  @Test
  void usersHaveUniqueNamesAndDeletingOneEndsItsPasswordSessions() {
    StoredUser ada = new StoredUser("ada", "admin", "$argon2id$v=19$m=1,t=1,p=1$a$b", T0);
    assertThat(access().insertUser(ada)).isTrue();
    assertThat(access().insertUser(new StoredUser("ada", "reader", "x", T0))).isFalse();
    access().insertUser(new StoredUser("bob", "reader", "y", T0));
    assertThat(access().findUser("ada")).contains(ada);
    assertThat(access().listUsers()).extracting(StoredUser::name).containsExactly("ada", "bob");

    access().insertToken(token("tok_1", "ada", "h1", null)); // a token that happens to share the name
    access().insertSession(session("by-password", "ada", null, T0));
    access().insertSession(session("by-token", "ada", "tok_1", T0));

    assertThat(access().deleteUser("ada")).isTrue();
    assertThat(access().deleteUser("ada")).isFalse();
    assertThat(access().findUser("ada")).isEmpty();
    assertThat(access().findSession("by-password")).isEmpty();
    assertThat(access().findSession("by-token")).isPresent();
  }

  // ---------------------------------------------------------------- sessions

  @Test
  void aSessionIsFoundTouchedAndSignedOut() {
    StoredSession s = session("s1", "ada", null, T0);
    access().insertSession(s);
    assertThat(access().findSession("s1")).contains(s);

    access().touchSession("s1", T0.plusSeconds(30));
    assertThat(access().findSession("s1").orElseThrow().lastSeenAt()).isEqualTo(T0.plusSeconds(30));

    access().deleteSession("s1");
    assertThat(access().findSession("s1")).isEmpty();
  }

  @Test
  void staleSessionsGoByIdleTimeOrByAge() {
    access().insertSession(session("idle", "a", null, T0));
    access().insertSession(session("old", "b", null, T0.minusSeconds(3600)));
    access().touchSession("old", T0.plusSeconds(100));
    access().insertSession(session("fresh", "c", null, T0.plusSeconds(100)));

    int deleted = access().deleteStaleSessions(T0.plusSeconds(50), T0.minusSeconds(60));

    assertThat(deleted).isEqualTo(2);
    assertThat(access().findSession("fresh")).isPresent();
    assertThat(access().findSession("idle")).isEmpty();
    assertThat(access().findSession("old")).isEmpty();
  }

  // ---------------------------------------------------------------- audit

  @Test
  void theAuditLogPagesNewestFirstAndPrunesByAge() {
    for (int i = 0; i < 5; i++) {
      access()
          .appendAudit(
              new AuditRecord(
                  0, T0.plusSeconds(i), "ada", "task.cancel", "t" + i, "127.0.0.1", i == 0 ? null : "d"));
    }

    List<AuditRecord> first = access().listAudit(null, 3);
    assertThat(first).extracting(AuditRecord::target).containsExactly("t4", "t3", "t2");
    assertThat(first.get(0).at()).isEqualTo(T0.plusSeconds(4));
    assertThat(first.get(0).id()).isGreaterThan(first.get(1).id());
    List<AuditRecord> second = access().listAudit(first.get(2).id(), 3);
    assertThat(second).extracting(AuditRecord::target).containsExactly("t1", "t0");
    assertThat(second.get(1).detail()).isNull();

    assertThat(access().pruneAudit(T0.plusSeconds(3))).isEqualTo(3);
    assertThat(access().listAudit(null, 10)).extracting(AuditRecord::target).containsExactly("t4", "t3");
  }
}
