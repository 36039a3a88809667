package dev.tasklane.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import picocli.CommandLine;

/**
 * One in-process run of the {@code tasklane} command with a given environment, capturing what it
 * prints. Shutdown hooks are collected rather than registered with the JVM, so a test can "send
 * SIGTERM" by running them.
 */
final class CliRun {
  final TasklaneCli cli;
  final CommandLine commandLine;
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();
  final java.util.List<Runnable> hooks = new java.util.concurrent.CopyOnWriteArrayList<>();

  CliRun(Map<String, String> env) {
    cli = new TasklaneCli(env, (name, hook) -> hooks.add(hook));
    commandLine = cli.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
  }

  CliRun() {
    this(Map.of());
  }

  /** Runs the command; returns its exit code. */
  int execute(String... args) {
    return commandLine.execute(args);
  }

  /** Parses {@code serve} with these flags and returns the settings it would run with. */
  ServeSettings serveSettings(String... flags) {
    String[] args = new String[flags.length + 1];
    args[0] = "serve";
    System.arraycopy(flags, 0, args, 1, flags.length);
    commandLine.parseArgs(args);
    ServeCommand serve = commandLine.getSubcommands().get("serve").getCommand();
    return serve.settings();
  }

  String out() {
    return out.toString();
  }

  String err() {
    return err.toString();
  }

  /** Runs the collected shutdown hooks, as the JVM would on SIGTERM. */
  void sigterm() {
    hooks.forEach(Runnable::run);
  }
}
