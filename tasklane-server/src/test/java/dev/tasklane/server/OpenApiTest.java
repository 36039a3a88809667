package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /openapi.json} is a valid OpenAPI 3 document of exactly the routes the server serves. */
class OpenApiTest {
  @TempDir Path dir;
  private ServerFixture node;

  @BeforeEach
  void start() {
    node = ServerFixture.start(dir);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private OpenAPI document() {
    ServerFixture.Response r = node.get("/openapi.json");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(r.body(), null, options);
    assertThat(result.getMessages()).as("the parser's complaints").isEmpty();
    assertThat(result.getOpenAPI()).isNotNull();
    return result.getOpenAPI();
  }

  @Test
  void theDocumentValidatesAndDescribesEveryRouteTheServerServesAndNoOther() {
    OpenAPI api = document();
    Set<String> documented = new TreeSet<>();
    api.getPaths()
        .forEach(
            (path, item) ->
                item.readOperationsMap()
                    .keySet()
                    .forEach(method -> documented.add(method.name() + " " + path)));
    Set<String> served = new TreeSet<>(node.server.routes());

    assertThat(served).contains("POST /submit-task", "POST /debug-task", "GET /metrics", "GET /docs");
    assertThat(documented).isEqualTo(served);
  }

  @Test
  void everyOperationSaysWhatItAnswersAndEveryBodyHasASchema() {
    OpenAPI api = document();
    api.getPaths()
        .forEach(
            (path, item) ->
                item.readOperationsMap()
                    .forEach(
                        (PathItem.HttpMethod method, io.swagger.v3.oas.models.Operation op) -> {
                          String name = method.name().toLowerCase(Locale.ROOT) + " " + path;
                          assertThat(op.getOperationId()).as(name).isNotBlank();
                          assertThat(op.getResponses()).as(name).isNotEmpty();
                          op.getResponses().forEach((code, response) -> {
                            if (response.getContent() != null) {
                              response.getContent().forEach((type, media) ->
                                  assertThat(media.getSchema()).as(name + " " + code).isNotNull());
                            }
                          });
                        }));
  }

  @Test
  void theDocsPageRendersTheDocumentWithBundledAssets() {
    ServerFixture.Response page = node.get("/docs");
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    String assets = "/webjars/swagger-ui/" + ApiDocs.swaggerUiVersion();
    assertThat(page.body()).contains(assets + "/swagger-ui-bundle.js").contains("\"/docs/init.js\"");
    assertThat(page.body()).doesNotContain("https://").doesNotContain("http://");
    // No inline script: the Content-Security-Policy would block it.
    assertThat(page.body()).doesNotContainPattern("<script>[^<]");
    assertThat(node.get("/docs/init.js").body()).contains("\"/openapi.json\"");

    ServerFixture.Response script = node.get(assets + "/swagger-ui-bundle.js");
    assertThat(script.status()).isEqualTo(200);
    assertThat(script.body()).contains("SwaggerUIBundle");
    assertThat(node.get(assets + "/swagger-ui.css").status()).isEqualTo(200);
  }
}
