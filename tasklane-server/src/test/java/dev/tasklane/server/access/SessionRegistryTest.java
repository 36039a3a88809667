package dev.tasklane.server.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.sqlite.SqliteTaskStore;
import dev.tasklane.testkit.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A session's idle and absolute timeouts, on a real SQLite store and a clock the test moves. */
class SessionRegistryTest {
  @TempDir Path dir;
  private SqliteTaskStore store;
  private final MutableClock clock = MutableClock.atDefaultStart();
  private SessionRegistry sessions;
  private final Principal ada = new Principal("ada", Role.OPERATOR, Principal.Via.SESSION, null, null);

  @BeforeEach
  void open() {
    store = SqliteTaskStore.open(dir.resolve("t.db"));
    AccessConfig config =
        AccessConfig.defaults()
            .withSessionTimeouts(Duration.ofMinutes(30), Duration.ofHours(12))
            .withCredentialCacheTtl(Duration.ZERO);
    sessions = new SessionRegistry(store.accessStore(), clock, config);
  }

  @AfterEach
  void close() {
    store.close();
  }

  @Test
  void aSessionLivesWhileItIsUsedAndEndsAfterThirtyIdleMinutes() {
    String secret = sessions.create(ada).secret();
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofMinutes(29));
      assertThat(sessions.find(secret)).as("used every 29 minutes").isPresent();
    }
    clock.advance(Duration.ofMinutes(30));
    assertThat(sessions.find(secret)).as("idle for 30 minutes").isEmpty();
    assertThat(store.accessStore().findSession(Secrets.hash(secret))).as("gone from the store").isEmpty();
  }

  @Test
  void aSessionEndsTwelveHoursAfterSignInHoweverBusy() {
    String secret = sessions.create(ada).secret();
    for (int i = 0; i < 12 * 4 - 1; i++) {
      clock.advance(Duration.ofMinutes(15));
      assertThat(sessions.find(secret)).isPresent();
    }
    clock.advance(Duration.ofMinutes(15));
    assertThat(sessions.find(secret)).isEmpty();
  }

  @Test
  void pruningDeletesTimedOutSessionsOnly() {
    String old = sessions.create(ada).secret();
    clock.advance(Duration.ofMinutes(31));
    String fresh = sessions.create(ada).secret();

    assertThat(sessions.prune()).isEqualTo(1);
    assertThat(store.accessStore().findSession(Secrets.hash(old))).isEmpty();
    assertThat(sessions.find(fresh)).isPresent();
  }
}
