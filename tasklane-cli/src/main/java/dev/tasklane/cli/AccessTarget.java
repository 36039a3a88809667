package dev.tasklane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.server.access.Role;
import dev.tasklane.server.access.TokenRegistry;
import dev.tasklane.server.access.TokenScope;
import dev.tasklane.server.access.UserRegistry;
import dev.tasklane.spi.AccessStore;
import dev.tasklane.spi.StoredToken;
import dev.tasklane.spi.StoredUser;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Where {@code token} and {@code user} commands make their changes: straight in the store (the
 * default, and the only way before the first server starts), or through a running server's admin
 * API with {@code --server} (the way while a server holds the SQLite file, which only one process
 * may open). Either way the answer has the API's JSON shape, so the commands print one thing.
 */
final class AccessTarget {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Mixin StoreOptions store;

  @Option(
      names = "--server",
      paramLabel = "<url>",
      description =
          "Make the change through this running server's API instead of in the store (needed while"
              + " a server holds the SQLite file) (env TASKLANE_SERVER).")
  String server;

  @Option(
      names = "--token",
      paramLabel = "<token>",
      description = "With --server: an admin token to send (env TASKLANE_TOKEN).")
  String token;

  @Option(
      names = "--ca-cert",
      paramLabel = "<pem>",
      description = "With --server over HTTPS: trust the certificate in this PEM file (env TASKLANE_CA_CERT).")
  String caCert;

  /** Runs {@code work} on the store, opened for it and closed after; or returns null with --server. */
  private <T> T onStore(Function<AccessStore, T> work) {
    StoreChoice choice = store.choice(spec, o -> o.withPoolSize(2));
    TaskStore opened;
    try {
      opened = choice.open();
    } catch (IllegalStateException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED,
          "cannot open the store at "
              + choice.location()
              + ": "
              + e.getMessage()
              + "\nWhile a server runs on it, make the change through the server: add --server"
              + " http://127.0.0.1:8000 (and --token with an admin token, once one exists)");
    }
    try (opened) {
      return work.apply(choice.accessStore(opened));
    }
  }

  private ApiClient api() {
    ServerOption option = new ServerOption();
    option.spec = spec;
    option.server = server;
    option.token = token;
    option.caCert = caCert;
    return option.client();
  }

  boolean viaServer() {
    return server != null && !server.isBlank();
  }

  JsonNode createToken(String name, Role role, Duration expiresIn, TokenScope scope) {
    if (viaServer()) {
      ObjectNode body = ApiClient.JSON.createObjectNode().put("name", name).put("role", role.apiName());
      if (expiresIn != null) {
        body.put("expires_in", expiresIn.toSeconds());
      }
      if (!scope.types().isEmpty()) {
        scope.types().stream().sorted().forEach(body.putArray("types")::add);
      }
      if (!scope.queues().isEmpty()) {
        scope.queues().stream().sorted().forEach(body.putArray("queues")::add);
      }
      return api().post("/api/v1/tokens", body).body();
    }
    return onStore(
        s -> {
          try {
            TokenRegistry.Created c = TokenRegistry.on(s).create(name, role, expiresIn, scope);
            return tokenJson(c.token()).put("token", c.secret());
          } catch (IllegalArgumentException e) {
            throw new CommandFailedException(ExitCodes.FAILED, e.getMessage());
          }
        });
  }

  JsonNode listTokens() {
    if (viaServer()) {
      return api().get("/api/v1/tokens").body().path("tokens");
    }
    return onStore(
        s -> {
          ArrayNode all = ApiClient.JSON.createArrayNode();
          TokenRegistry.on(s).list().forEach(t -> all.add(tokenJson(t)));
          return all;
        });
  }

  JsonNode revokeToken(String idOrName) {
    if (viaServer()) {
      return api().delete("/api/v1/tokens/" + pathSegment(idOrName)).body();
    }
    return onStore(
        s ->
            TokenRegistry.on(s)
                .revoke(idOrName)
                .map(t -> (JsonNode) tokenJson(t))
                .orElseThrow(
                    () ->
                        new CommandFailedException(
                            ExitCodes.FAILED, "no active token with id or name '" + idOrName + "'")));
  }

  JsonNode createUser(String name, Role role, String password) {
    if (viaServer()) {
      ObjectNode body =
          ApiClient.JSON.createObjectNode()
              .put("name", name)
              .put("role", role.apiName())
              .put("password", password);
      return api().post("/api/v1/users", body).body();
    }
    return onStore(
        s -> {
          try {
            return userJson(UserRegistry.on(s).create(name, role, password));
          } catch (IllegalArgumentException e) {
            throw new CommandFailedException(ExitCodes.FAILED, e.getMessage());
          }
        });
  }

  JsonNode listUsers() {
    if (viaServer()) {
      return api().get("/api/v1/users").body().path("users");
    }
    return onStore(
        s -> {
          ArrayNode all = ApiClient.JSON.createArrayNode();
          UserRegistry.on(s).list().forEach(u -> all.add(userJson(u)));
          return all;
        });
  }

  void deleteUser(String name) {
    if (viaServer()) {
      api().delete("/api/v1/users/" + pathSegment(name));
      return;
    }
    boolean deleted = onStore(s -> UserRegistry.on(s).delete(name));
    if (!deleted) {
      throw new CommandFailedException(ExitCodes.FAILED, "no user named '" + name + "'");
    }
  }

  /** The API's JSON for a token (see the server's {@code TokenView}). */
  private static ObjectNode tokenJson(StoredToken t) {
    ObjectNode o = ApiClient.JSON.createObjectNode();
    o.put("id", t.id());
    o.put("name", t.name());
    o.put("role", t.role());
    o.put("created_at", text(t.createdAt()));
    o.put("expires_at", text(t.expiresAt()));
    o.put("last_used_at", text(t.lastUsedAt()));
    o.put("revoked_at", text(t.revokedAt()));
    o.put("active", t.activeAt(Instant.now()));
    t.types().forEach(o.putArray("types")::add);
    t.queues().forEach(o.putArray("queues")::add);
    return o;
  }

  private static ObjectNode userJson(StoredUser u) {
    ObjectNode o = ApiClient.JSON.createObjectNode();
    o.put("name", u.name());
    o.put("role", u.role());
    o.put("created_at", text(u.createdAt()));
    return o;
  }

  private static String pathSegment(String text) {
    return java.net.URLEncoder.encode(text, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String text(Instant i) {
    return i == null ? null : i.toString();
  }

  static Role role(CommandSpec spec, String name) {
    try {
      return Role.fromApiName(name);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--role: " + e.getMessage());
    }
  }
}
