package dev.tasklane.sqlite;

import dev.tasklane.StoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one Tasklane store the only user of a database file: an exclusive OS lock on the sibling
 * file {@code <db>.lock}, held for the store's lifetime. The embedded store relies on being the
 * only writer (its write lock lives in the JVM), and lease recovery at start assumes that nothing
 * of this node can still be running.
 *
 * <p>How: {@link FileChannel#tryLock()} fails for a lock held by another process. Within one JVM it
 * cannot be used as the check, because POSIX locks belong to the process: closing any channel on
 * the lock file would silently release the lock another store of this JVM holds. So a registry of
 * locked files in this JVM is consulted first, and a lock file is only ever opened by the store
 * that goes on to hold it.
 *
 * <p>The OS drops the lock when the process dies, even by {@code kill -9}, so a crash never leaves
 * a stale lock behind. The lock file itself is never deleted: deleting it would let a second
 * process lock a new file while a third still holds the old, unlinked one.
 */
final class DatabaseLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(DatabaseLock.class);

  /** Database files locked by stores of this JVM, by real path of their folder. */
  private static final Set<Path> LOCKED_IN_THIS_JVM = ConcurrentHashMap.newKeySet();

  private final Path key;
  private final Path lockFile;
  private final FileChannel channel;
  private final FileLock lock;

  private DatabaseLock(Path key, Path lockFile, FileChannel channel, FileLock lock) {
    this.key = key;
    this.lockFile = lockFile;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code database}, whose folder must exist.
   *
   * @throws IllegalStateException if another store, in this process or another, holds the lock
   * @throws StoreException if the lock file cannot be opened or locked
   */
  static DatabaseLock acquire(Path database) {
    Path lockFile = database.resolveSibling(database.getFileName() + ".lock");
    Path key;
    try {
      key = database.getParent().toRealPath().resolve(database.getFileName());
    } catch (IOException e) {
      throw new StoreException("open", e);
    }
    if (!LOCKED_IN_THIS_JVM.add(key)) {
      throw new IllegalStateException(
          "database "
              + database
              + " is in use by another Tasklane store in this process; close it before opening"
              + " the file again");
    }
    FileChannel channel = null;
    try {
      channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw new IllegalStateException(
            "database "
                + database
                + " is in use by another Tasklane process"
                + holder(lockFile)
                + "; stop it, or give this one another database file");
      }
      // The holder's pid, for the message above in the process that is turned away.
      channel.truncate(0);
      channel.write(
          ByteBuffer.wrap(
              (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)));
      return new DatabaseLock(key, lockFile, channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      LOCKED_IN_THIS_JVM.remove(key);
      throw new StoreException("open", e);
    } catch (OverlappingFileLockException e) {
      // Only reachable if something else in this JVM locked the file behind the registry's back.
      closeQuietly(channel);
      LOCKED_IN_THIS_JVM.remove(key);
      throw new IllegalStateException(
          "database " + database + " is in use by another lock holder in this process", e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      LOCKED_IN_THIS_JVM.remove(key);
      throw e;
    }
  }

  /** Releases the lock. Idempotent. */
  @Override
  public void close() {
    if (!channel.isOpen()) {
      return;
    }
    try {
      lock.release();
    } catch (IOException e) {
      LOG.warn(
          "could not release the lock on {}; it is released when the process exits", lockFile, e);
    } finally {
      closeQuietly(channel);
      LOCKED_IN_THIS_JVM.remove(key);
    }
  }

  /** " (pid N)" from the lock file, or "" when it cannot be read. */
  private static String holder(Path lockFile) {
    // Safe to open and close here: this process holds no lock on the file (see class comment).
    try {
      String pid = Files.readString(lockFile, StandardCharsets.US_ASCII).strip();
      return pid.isEmpty() ? "" : " (pid " + pid + ")";
    } catch (IOException e) {
      return "";
    }
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel == null) {
      return;
    }
    try {
      channel.close();
    } catch (IOException e) {
      LOG.debug("closing a lock file channel failed", e);
    }
  }
}
