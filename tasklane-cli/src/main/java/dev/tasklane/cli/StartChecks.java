package dev.tasklane.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What {@code tasklane serve} checks before it opens anything: that it can listen where it was
 * told, and that it can write the SQLite file's folder. Each failure is one line naming the
 * address or path and what is wrong with it, said before the store is opened and migrated and
 * before the node tells the log that it leads the cluster.
 *
 * <p>The listen check binds and closes a socket; the HTTP server binds again moments later, so a
 * process that takes the port in between still fails there, and {@link #listenFailure} words that
 * failure the same way.
 */
final class StartChecks {
  private StartChecks() {}

  /**
   * Binds {@code bind:port} once and lets it go.
   *
   * @throws CommandFailedException if the address is not this machine's, or the port is taken
   */
  static void checkCanListen(String bind, int port) {
    InetAddress address;
    try {
      address = InetAddress.getByName(bind);
    } catch (UnknownHostException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED, "cannot listen on " + bind + ":" + port + ": no such host name");
    }
    try (ServerSocket probe = new ServerSocket()) {
      // As Jetty does: a port whose last connections linger in TIME_WAIT is free to listen on.
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(address, port));
    } catch (IOException e) {
      throw new CommandFailedException(ExitCodes.FAILED, listenFailure(bind, port, e));
    }
  }

  /**
   * Why {@code bind:port} could not be listened on, in one line; {@code cause} is the bind's
   * exception or one that wraps it (Javalin's).
   */
  static String listenFailure(String bind, int port, Throwable cause) {
    String reason = "";
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof BindException && t.getMessage() != null) {
        reason = t.getMessage().toLowerCase(Locale.ROOT);
        break;
      }
    }
    String where = "cannot listen on " + bind + ":" + port + ": ";
    if (reason.contains("already in use")) {
      return "port " + port + " on " + bind + " is already in use (another Tasklane server? choose"
          + " another --port)";
    }
    if (reason.contains("assign requested address") || !isThisMachines(bind)) {
      return where + "this machine has no such address (choose one of its own for --bind,"
          + " or 0.0.0.0 for all)";
    }
    if (reason.contains("permission denied") || reason.contains("access denied")) {
      return where + "permission denied" + (port < 1024 ? " (ports below 1024 need privileges)" : "");
    }
    // The address is this machine's and the reason is not one of the above: a port held by
    // another process on a platform that words it differently, as Javalin's wrapper does.
    return reason.isEmpty()
        ? "port " + port + " on " + bind + " is already in use (another Tasklane server? choose"
            + " another --port)"
        : where + reason;
  }

  private static boolean isThisMachines(String bind) {
    try {
      InetAddress address = InetAddress.getByName(bind);
      return address.isAnyLocalAddress()
          || address.isLoopbackAddress()
          || NetworkInterface.getByInetAddress(address) != null;
    } catch (UnknownHostException | SocketException e) {
      return false;
    }
  }

  /**
   * Creates the database file's folder if missing and checks that this process may write there
   * (SQLite adds its journal and lock files beside the database).
   *
   * @throws CommandFailedException naming the path, if the folder cannot be created or written
   */
  static void checkCanWriteDatabase(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    Path folder = absolute.getParent();
    String prefix = "cannot open the database " + file + ": ";
    try {
      Files.createDirectories(folder);
    } catch (AccessDeniedException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED, prefix + "permission denied (cannot create the folder " + e.getFile() + ")");
    } catch (FileAlreadyExistsException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED, prefix + e.getFile() + " is a file, not a directory");
    } catch (FileSystemException e) {
      String reason = e.getReason() == null ? "cannot create it" : e.getReason().toLowerCase(Locale.ROOT);
      String where = e.getFile() == null ? folder.toString() : e.getFile();
      throw new CommandFailedException(ExitCodes.FAILED, prefix + reason + " (" + where + ")");
    } catch (IOException e) {
      throw new CommandFailedException(ExitCodes.FAILED, prefix + e.getMessage());
    }
    if (!Files.isWritable(folder)) {
      throw new CommandFailedException(
          ExitCodes.FAILED, prefix + "permission denied (cannot write to the folder " + folder + ")");
    }
    if (Files.isDirectory(absolute)) {
      throw new CommandFailedException(ExitCodes.FAILED, prefix + "it is a directory, not a file");
    }
    if (Files.exists(absolute) && !Files.isWritable(absolute)) {
      throw new CommandFailedException(
          ExitCodes.FAILED, prefix + "permission denied (cannot write to the file)");
    }
  }
}
