package dev.goldpan.worker.progress;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HttpProgressTest {

  private HttpServer server;
  private final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private URI endpoint;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/progress/research/job",
        exchange -> {
          authorizations.add(exchange.getRequestHeaders().getFirst("Authorization"));
          bodies.add(new ObjectMapper().readTree(exchange.getRequestBody()));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    server.start();
    endpoint =
        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/progress/research/job");
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  @Test
  void postsAtMostOncePerIntervalAndAlwaysTheLastStep() throws Exception {
    AtomicLong now = new AtomicLong();
    HttpProgress progress =
        new HttpProgress("distill", endpoint, () -> "s3cr3t", now::get, Duration.ofSeconds(5));

    for (int step = 1; step <= 100; step++) {
      now.addAndGet(Duration.ofMillis(120).toNanos());
      progress.report(step, 100, 1.0 / step);
    }

    // 100 steps, 120 ms apart: the first (0.12 s), then 43 (5.16 s) and 85 (10.2 s), and the last.
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> bodies.size() == 4);
    assertThat(bodies)
        .extracting(body -> body.path("step").asLong())
        .containsExactlyInAnyOrder(1L, 43L, 85L, 100L);
    JsonNode last =
        bodies.stream().filter(body -> body.path("step").asLong() == 100).findFirst().orElseThrow();
    assertThat(last.path("stage").asText()).isEqualTo("distill");
    assertThat(last.path("totalSteps").asLong()).isEqualTo(100);
    assertThat(last.path("loss").asDouble()).isEqualTo(0.01);
    assertThat(authorizations).containsOnly("Bearer s3cr3t");
  }

  @Test
  void anUnreachableOperatorNeverFailsTheStage() {
    server.stop(0);
    HttpProgress progress =
        new HttpProgress("score", endpoint, () -> "token", System::nanoTime, Duration.ofSeconds(5));

    for (int step = 1; step <= 3; step++) {
      progress.report(step, 3, Double.NaN);
    }

    assertThat(bodies).isEmpty();
  }

  @Test
  void reportsToTheConsoleOnlyWithoutEndpointOrToken(@TempDir Path directory) throws IOException {
    List<Long> console = new CopyOnWriteArrayList<>();
    Progress consoleProgress = (step, total, loss) -> console.add(step);

    HttpProgress.forStage("score", Map.of(), consoleProgress).report(1, 2, 0.5);
    HttpProgress.forStage(
            "score",
            Map.of(
                HttpProgress.URL_VARIABLE, endpoint.toString(),
                HttpProgress.TOKEN_FILE_VARIABLE, directory.resolve("missing").toString()),
            consoleProgress)
        .report(2, 2, 0.5);
    Path token = Files.writeString(directory.resolve("token"), "abc\n");
    HttpProgress.forStage(
            "score",
            Map.of(
                HttpProgress.URL_VARIABLE, endpoint.toString(),
                HttpProgress.TOKEN_FILE_VARIABLE, token.toString()),
            consoleProgress)
        .report(2, 2, 0.5);

    assertThat(console).containsExactly(1L, 2L, 2L);
    assertThat(bodies).hasSize(1);
    assertThat(authorizations).containsExactly("Bearer abc");
  }

  @Test
  void sendsTheRenewedTokenOnceTheKubeletRewritesIt(@TempDir Path directory) throws IOException {
    Path token = Files.writeString(directory.resolve("token"), "first\n");
    Progress progress =
        HttpProgress.forStage(
            "score",
            Map.of(
                HttpProgress.URL_VARIABLE, endpoint.toString(),
                HttpProgress.TOKEN_FILE_VARIABLE, token.toString()),
            (step, total, loss) -> {});

    progress.report(1, 2, 0.5);
    Files.writeString(token, "renewed\n");
    progress.report(2, 2, 0.5);

    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> authorizations.size() == 2);
    assertThat(authorizations).containsExactlyInAnyOrder("Bearer first", "Bearer renewed");
  }
}
