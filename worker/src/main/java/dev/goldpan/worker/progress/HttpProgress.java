package dev.goldpan.worker.progress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Reports progress to the operator: POSTs {@code {stage, step, totalSteps, loss}} with the pod's
 * bearer token at most once per interval (and always the last step). Reports are sent in the
 * background; a failed report is logged once and never fails the stage.
 */
public final class HttpProgress implements Progress {

  /** The operator's endpoint for this job, e.g. {@code http://goldpan:8080/progress/ns/name}. */
  public static final String URL_VARIABLE = "GOLDPAN_PROGRESS_URL";

  /**
   * File holding the pod's bearer token: a service-account token the kubelet projects for the
   * operator's audience and renews before it expires, so it is read anew for every report.
   */
  public static final String TOKEN_FILE_VARIABLE = "GOLDPAN_PROGRESS_TOKEN_FILE";

  public static final Path DEFAULT_TOKEN_FILE = Path.of("/var/run/secrets/goldpan/progress/token");
  static final Duration INTERVAL = Duration.ofSeconds(5);

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String stage;
  private final URI endpoint;
  private final Supplier<String> token;
  private final HttpClient client;
  private final LongSupplier clock;
  private final long intervalNanos;
  private final AtomicBoolean warned = new AtomicBoolean();
  private long lastSent = Long.MIN_VALUE;

  HttpProgress(
      String stage, URI endpoint, Supplier<String> token, LongSupplier clock, Duration interval) {
    this.stage = stage;
    this.endpoint = endpoint;
    this.token = token;
    this.clock = clock;
    this.intervalNanos = interval.toNanos();
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  /**
   * Progress for {@code stage}: to the operator when the environment names an endpoint and a
   * readable token file, alongside {@code console}; otherwise {@code console} alone.
   */
  public static Progress forStage(String stage, Map<String, String> environment, Progress console) {
    String url = environment.get(URL_VARIABLE);
    if (url == null || url.isBlank()) {
      return console;
    }
    Path tokenFile =
        Path.of(environment.getOrDefault(TOKEN_FILE_VARIABLE, DEFAULT_TOKEN_FILE.toString()));
    AtomicReference<String> token = new AtomicReference<>();
    try {
      token.set(Files.readString(tokenFile).trim());
    } catch (IOException e) {
      System.err.println(
          "progress: cannot read the token file "
              + tokenFile
              + " ("
              + e.getMessage()
              + "); reporting to the console only");
      return console;
    }
    Supplier<String> current =
        () -> {
          try {
            token.set(Files.readString(tokenFile).trim());
          } catch (IOException e) {
            // Being renewed: the token read before is still good.
          }
          return token.get();
        };
    HttpProgress http =
        new HttpProgress(stage, URI.create(url), current, System::nanoTime, INTERVAL);
    return (step, totalSteps, loss) -> {
      console.report(step, totalSteps, loss);
      http.report(step, totalSteps, loss);
    };
  }

  @Override
  public void report(long step, long totalSteps, double loss) {
    long now = clock.getAsLong();
    boolean last = step >= totalSteps;
    if (!last && lastSent != Long.MIN_VALUE && now - lastSent < intervalNanos) {
      return;
    }
    lastSent = now;
    ObjectNode body = JSON.createObjectNode();
    body.put("stage", stage);
    body.put("step", step);
    body.put("totalSteps", totalSteps);
    if (!Double.isNaN(loss) && !Double.isInfinite(loss)) {
      body.put("loss", loss);
    }
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(Duration.ofSeconds(5))
            .header("Authorization", "Bearer " + token.get())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build();
    var sent =
        client
            .sendAsync(request, HttpResponse.BodyHandlers.discarding())
            .whenComplete(
                (response, failure) -> {
                  if (failure != null) {
                    warnOnce("cannot reach " + endpoint + ": " + failure.getMessage());
                  } else if (response.statusCode() >= 300) {
                    warnOnce(endpoint + " answered " + response.statusCode());
                  }
                });
    if (last) {
      try {
        sent.get(5, java.util.concurrent.TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // Reported by warnOnce; a lost progress report never fails the stage.
      }
    }
  }

  private void warnOnce(String message) {
    if (warned.compareAndSet(false, true)) {
      System.err.println("progress: " + message + " (further failures are not shown)");
    }
  }
}
