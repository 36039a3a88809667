/**
 * The embedded task store: one SQLite file in WAL mode, used by one process. Open it with {@link
 * dev.tasklane.sqlite.SqliteTaskStore#open(java.nio.file.Path)}.
 */
package dev.tasklane.sqlite;
