package dev.tasklane.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatementCacheTest {
  @TempDir Path dir;

  private Connection open() throws SQLException {
    return StatementCache.wrap(DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("t.db")));
  }

  private static PreparedStatement unwrapped(PreparedStatement st) throws SQLException {
    return st.unwrap(PreparedStatement.class);
  }

  @Test
  void aClosedStatementIsHandedOutAgainForTheSameSql() throws SQLException {
    try (Connection c = open()) {
      PreparedStatement first;
      try (PreparedStatement st = c.prepareStatement("SELECT ?")) {
        first = unwrapped(st);
        st.setInt(1, 7);
        try (ResultSet rs = st.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getInt(1)).isEqualTo(7);
        }
      }
      assertThat(first.isClosed()).as("returned to the cache, not finalized").isFalse();
      try (PreparedStatement st = c.prepareStatement("SELECT ?")) {
        assertThat(unwrapped(st)).isSameAs(first);
        st.setInt(1, 8);
        try (ResultSet rs = st.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getInt(1)).as("the new binding, not the old one").isEqualTo(8);
        }
      }
    }
  }

  @Test
  void aStatementInUseIsNotHandedOutTwice() throws SQLException {
    try (Connection c = open();
        PreparedStatement outer = c.prepareStatement("SELECT ?");
        PreparedStatement inner = c.prepareStatement("SELECT ?")) {
      assertThat(unwrapped(inner)).isNotSameAs(unwrapped(outer));
      outer.setInt(1, 1);
      inner.setInt(1, 2);
      try (ResultSet a = outer.executeQuery();
          ResultSet b = inner.executeQuery()) {
        assertThat(a.next() && b.next()).isTrue();
        assertThat(a.getInt(1)).isEqualTo(1);
        assertThat(b.getInt(1)).isEqualTo(2);
      }
    }
  }

  @Test
  void closingTheConnectionFinalizesTheCachedStatements() throws SQLException {
    Connection c = open();
    PreparedStatement cached;
    try (PreparedStatement st = c.prepareStatement("SELECT 1")) {
      cached = unwrapped(st);
    }
    c.close();
    assertThat(cached.isClosed()).isTrue();
    assertThat(c.isClosed()).isTrue();
  }
}
