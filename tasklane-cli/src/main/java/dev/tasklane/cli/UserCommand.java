package dev.tasklane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tasklane user create|list|delete}: dashboard users who sign in with a password. */
@Command(
    name = "user",
    mixinStandardHelpOptions = true,
    description = "Create, list and delete dashboard users (who sign in with a password).",
    subcommands = {UserCommand.Create.class, UserCommand.List.class, UserCommand.Delete.class})
final class UserCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Add a user; the password is asked for, or read from standard input with --password-stdin.")
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AccessTarget target;

    @Option(names = "--name", required = true, paramLabel = "<name>", description = "The sign-in name.")
    String name;

    @Option(names = "--role", required = true, paramLabel = "<role>", description = "admin, operator, submitter or reader.")
    String role;

    @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
    boolean passwordStdin;

    @Override
    public Integer call() throws IOException {
      String password = password();
      JsonNode u = target.createUser(name, AccessTarget.role(spec, role), password);
      PrintWriter out = spec.commandLine().getOut();
      out.printf("User '%s' (role %s) created.%n", u.path("name").asText(), u.path("role").asText());
      out.flush();
      return ExitCodes.OK;
    }

    private String password() throws IOException {
      if (passwordStdin) {
        String line =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null) {
          throw new CommandFailedException(ExitCodes.FAILED, "--password-stdin: standard input is empty");
        }
        return line;
      }
      Console console = System.console();
      if (console == null) {
        throw new CommandFailedException(
            ExitCodes.FAILED, "no terminal to ask for the password on: use --password-stdin");
      }
      char[] first = console.readPassword("Password for %s: ", name);
      char[] again = console.readPassword("Again: ");
      if (first == null || again == null || !new String(first).equals(new String(again))) {
        throw new CommandFailedException(ExitCodes.FAILED, "the passwords differ");
      }
      return new String(first);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List users.")
  static final class List implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AccessTarget target;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%-24s  %-9s  %s%n", "NAME", "ROLE", "CREATED");
      for (JsonNode u : target.listUsers()) {
        out.printf("%-24s  %-9s  %s%n", u.path("name").asText(), u.path("role").asText(), u.path("created_at").asText());
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a user and end its sessions.")
  static final class Delete implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AccessTarget target;

    @Parameters(paramLabel = "<name>", description = "The user's name.")
    String name;

    @Override
    public Integer call() {
      target.deleteUser(name);
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Deleted user '%s'.%n", name);
      out.flush();
      return ExitCodes.OK;
    }
  }
}
