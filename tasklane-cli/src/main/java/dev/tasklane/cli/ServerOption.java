package dev.tasklane.cli;

import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --server} and {@code --token}: which Tasklane server a client command talks to, as whom. */
final class ServerOption {
  static final String DEFAULT = "http://127.0.0.1:8000";

  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  @Option(
      names = "--server",
      paramLabel = "<url>",
      defaultValue = DEFAULT,
      description = "Tasklane server to talk to (env TASKLANE_SERVER, default ${DEFAULT-VALUE}).")
  String server;

  @Option(
      names = "--token",
      paramLabel = "<token>",
      description =
          "API token to send (tasklane token create); prefer the environment variable, which other"
              + " users cannot see in the process list (env TASKLANE_TOKEN).")
  String token;

  @Option(
      names = "--ca-cert",
      paramLabel = "<pem>",
      description =
          "Trust the HTTPS server whose certificate (or its CA's) is in this PEM file, besides"
              + " the JDK's trusted authorities (env TASKLANE_CA_CERT).")
  String caCert;

  /** A client for the server, sending the token if one was given. */
  ApiClient client() {
    return new ApiClient(
        uri(),
        token == null || token.isBlank() ? null : token.strip(),
        caCert == null || caCert.isBlank() ? null : ApiClient.trusting(java.nio.file.Path.of(caCert)));
  }

  /**
   * @throws ParameterException unless the value is an http or https URL with a host
   */
  URI uri() {
    try {
      String text = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
      URI uri = new URI(text);
      if (uri.getHost() == null
          || !("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))) {
        throw new URISyntaxException(server, "expected http://host:port");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new ParameterException(
          spec.commandLine(), "--server: '" + server + "' is not a URL like " + DEFAULT);
    }
  }
}
