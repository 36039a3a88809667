package dev.tasklane.server;

import dev.tasklane.server.access.Permission;
import io.javalin.config.RoutesConfig;
import io.javalin.http.ContentType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

/**
 * The API's description: the OpenAPI 3 document at {@code /openapi.json} (a resource written by
 * hand next to this class, checked by a test against every route the server registers), and
 * {@code /docs}, which renders it with Swagger UI from the jar's webjar (no CDN).
 */
final class ApiDocs {
  static final String DOCUMENT_PATH = "/openapi.json";
  static final String PAGE_PATH = "/docs";
  static final String SCRIPT_PATH = "/docs/init.js";

  private final byte[] document;
  private final String page;
  private final byte[] script;

  ApiDocs() {
    this.document = resource("openapi.json");
    String version = swaggerUiVersion();
    String assets = "/webjars/swagger-ui/" + version;
    this.page =
        """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <meta name="viewport" content="width=device-width, initial-scale=1">
          <title>Tasklane API</title>
          <link rel="stylesheet" href="%1$s/swagger-ui.css">
        </head>
        <body>
          <div id="api"></div>
          <script src="%1$s/swagger-ui-bundle.js"></script>
          <script src="%3$s"></script>
        </body>
        </html>
        """
            .formatted(assets, DOCUMENT_PATH, SCRIPT_PATH);
    // A file of its own, not inline: the Content-Security-Policy allows no inline script.
    this.script =
        "window.ui = SwaggerUIBundle({url: \"%s\", dom_id: \"#api\", deepLinking: true});\n"
            .formatted(DOCUMENT_PATH)
            .getBytes(StandardCharsets.UTF_8);
  }

  void register(RoutesConfig routes) {
    // The API's description is no secret (it ships in the jar); public, so that a client can be
    // set up before it has a token.
    routes.get(
        DOCUMENT_PATH,
        ctx -> ctx.contentType(ContentType.APPLICATION_JSON).result(document),
        Permission.PUBLIC);
    routes.get(PAGE_PATH, ctx -> ctx.html(page), Permission.PUBLIC);
    routes.get(
        SCRIPT_PATH,
        ctx -> ctx.contentType("text/javascript; charset=utf-8").result(script),
        Permission.PUBLIC);
  }

  private static byte[] resource(String name) {
    try (InputStream in = ApiDocs.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the jar");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The bundled Swagger UI's version, from its webjar's Maven metadata. */
  static String swaggerUiVersion() {
    String pom = "/META-INF/maven/org.webjars/swagger-ui/pom.properties";
    try (InputStream in = ApiDocs.class.getResourceAsStream(pom)) {
      if (in == null) {
        throw new IllegalStateException("the swagger-ui webjar is missing from the class path");
      }
      Properties p = new Properties();
      p.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
      return p.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
