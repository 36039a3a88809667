package dev.tasklane.cli;

/**
 * Where {@code serve} registers what must run when the process is asked to stop. Production uses
 * JVM shutdown hooks (SIGTERM, SIGINT/Ctrl-C); tests pass their own to stop a server in-process.
 */
@FunctionalInterface
interface ShutdownHooks {
  void register(String name, Runnable hook);

  /** JVM shutdown hooks: run on SIGTERM, SIGINT and normal exit, not on SIGKILL. */
  static ShutdownHooks jvm() {
    return (name, hook) -> Runtime.getRuntime().addShutdownHook(new Thread(hook, name));
  }
}
