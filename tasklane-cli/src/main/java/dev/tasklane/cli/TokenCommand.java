package dev.tasklane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.server.access.TokenScope;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tasklane token create|list|revoke}: API tokens, in the store or through a server. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Create, list and revoke API tokens.",
    subcommands = {TokenCommand.Create.class, TokenCommand.List.class, TokenCommand.Revoke.class})
final class TokenCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = "Make a token; its secret is printed once and never again.")
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AccessTarget target;

    @Option(names = "--name", required = true, paramLabel = "<name>", description = "What the token is for, e.g. ci-deploy.")
    String name;

    @Option(
        names = "--role",
        required = true,
        paramLabel = "<role>",
        description = "admin, operator, submitter, worker or reader.")
    String role;

    @Option(names = "--expires-in", paramLabel = "<duration>", description = "How long it works, e.g. 90d; default: until revoked.")
    Duration expiresIn;

    @Option(
        names = "--types",
        split = ",",
        paramLabel = "<type>",
        description = "A worker token: the task types it may serve (comma-separated); default: any.")
    java.util.List<String> types = java.util.List.of();

    @Option(
        names = "--queues",
        split = ",",
        paramLabel = "<queue>",
        description = "A worker token: the queues it may serve (comma-separated); default: any.")
    java.util.List<String> queues = java.util.List.of();

    @Override
    public Integer call() {
      JsonNode t =
          target.createToken(
              name,
              AccessTarget.role(spec, role),
              expiresIn,
              new TokenScope(java.util.Set.copyOf(types), java.util.Set.copyOf(queues)));
      PrintWriter out = spec.commandLine().getOut();
      out.println(t.path("token").asText());
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      err.printf(
          "Token '%s' (%s, role %s%s) made. Copy it now: it is shown only once.%n"
              + "Use it as 'Authorization: Bearer <token>', or TASKLANE_TOKEN=<token> for this command line.%n",
          t.path("name").asText(),
          t.path("id").asText(),
          t.path("role").asText(),
          t.path("expires_at").isTextual() ? ", expires " + t.path("expires_at").asText() : "");
      err.flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens, revoked ones too.")
  static final class List implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AccessTarget target;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() {
      JsonNode tokens = target.listTokens();
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        Output.printJson(out, tokens);
        return ExitCodes.OK;
      }
      out.printf("%-20s  %-24s  %-9s  %-8s  %-24s  %s%n", "ID", "NAME", "ROLE", "STATE", "LAST USED", "EXPIRES");
      for (JsonNode t : tokens) {
        String state = t.path("revoked_at").isTextual() ? "revoked" : t.path("active").asBoolean() ? "active" : "expired";
        out.printf(
            "%-20s  %-24s  %-9s  %-8s  %-24s  %s%n",
            t.path("id").asText(),
            t.path("name").asText(),
            t.path("role").asText(),
            state,
            t.path("last_used_at").isTextual() ? t.path("last_used_at").asText() : "never",
            t.path("expires_at").isTextual() ? t.path("expires_at").asText() : "never");
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token at once, on every node.")
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin AccessTarget target;

    @Parameters(paramLabel = "<id-or-name>", description = "The token's id (tok_...) or name.")
    String which;

    @Override
    public Integer call() {
      JsonNode t = target.revokeToken(which);
      PrintWriter out = spec.commandLine().getOut();
      out.printf("Revoked token '%s' (%s).%n", t.path("name").asText(), t.path("id").asText());
      out.flush();
      return ExitCodes.OK;
    }
  }
}
