package dev.tasklane.jdbc;

import dev.tasklane.StoreException;
import java.util.Objects;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a database's schema up to date with Flyway, from the dialect's {@link
 * SqlDialect#migrationLocation()} ({@code V001__create_task.sql}, ...). Migrations only move
 * forward; running the migrator on an up-to-date database does nothing, so every store runs it on
 * open.
 */
public final class SchemaMigrator {
  /**
   * Flyway's history table. Prefixed so that a schema shared with an application's own Flyway
   * history does not mix the two.
   */
  public static final String HISTORY_TABLE = "tasklane_schema_history";

  private static final Logger LOG = LoggerFactory.getLogger(SchemaMigrator.class);

  private SchemaMigrator() {}

  /**
   * Applies the pending migrations of {@code dialect} to {@code dataSource}, in the connections'
   * default schema, which must be empty or already hold Tasklane's schema history.
   *
   * @return how many migrations were applied (0 when the schema was up to date)
   * @throws StoreException naming operation {@code migrate} if a migration fails or the database
   *     holds a migration this build does not know
   */
  public static int migrate(DataSource dataSource, SqlDialect dialect) {
    return migrate(dataSource, dialect, null);
  }

  /**
   * Applies the pending migrations of {@code dialect} to {@code schema} of {@code dataSource},
   * creating the schema if it is missing. The migrations run with {@code schema} as the search
   * path, and the history table lives in it too, so several Tasklane schemas can share one
   * database.
   *
   * <p>A schema that already holds other tables but no Tasklane history (an application's own
   * {@code public} schema) is baselined at version 0, so every migration still runs.
   *
   * @param schema the schema, exactly as named (not case-folded); {@code null} for the
   *     connections' default
   * @return how many migrations were applied (0 when the schema was up to date)
   * @throws StoreException naming operation {@code migrate} if a migration fails or the database
   *     holds a migration this build does not know
   */
  public static int migrate(DataSource dataSource, SqlDialect dialect, String schema) {
    Objects.requireNonNull(dataSource, "dataSource");
    Objects.requireNonNull(dialect, "dialect");
    try {
      FluentConfiguration config =
          Flyway.configure(dialect.getClass().getClassLoader())
              .dataSource(dataSource)
              .locations(dialect.migrationLocation())
              .table(HISTORY_TABLE)
              // A packaging mistake that drops the SQL files must fail loudly, not migrate nothing.
              .failOnMissingLocations(true)
              .validateMigrationNaming(true)
              .cleanDisabled(true);
      if (schema != null) {
        config =
            config
                .schemas(schema)
                .defaultSchema(schema)
                .createSchemas(true)
                // Flyway refuses a non-empty schema without history; a baseline below V001 lets
                // Tasklane's tables join an application's schema, still running every migration.
                .baselineOnMigrate(true)
                .baselineVersion("0");
      }
      MigrateResult result = config.load().migrate();
      if (result.migrationsExecuted > 0) {
        LOG.info(
            "migrated the {} task store schema to version {} ({} migrations)",
            dialect.name(),
            result.targetSchemaVersion,
            result.migrationsExecuted);
      }
      return result.migrationsExecuted;
    } catch (FlywayException e) {
      throw new StoreException("migrate", e);
    }
  }
}
