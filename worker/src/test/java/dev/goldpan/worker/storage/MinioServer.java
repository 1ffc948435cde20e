package dev.goldpan.worker.storage;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A real MinIO server for the tests of a class: the binary that {@code e2e/tools/minio-build}
 * caches in {@code ~/.cache/goldpan/bin/minio} (or {@code $GOLDPAN_MINIO}), started on 127.0.0.1 on
 * a free port with a fresh data directory and known root credentials, and stopped after the class.
 * Without the binary the tests fail (CI builds it first); they are never skipped.
 *
 * <pre>{@code @RegisterExtension static final MinioServer MINIO = new MinioServer();}</pre>
 */
public final class MinioServer implements BeforeAllCallback, AfterAllCallback {

  public static final String ACCESS_KEY = "goldpan-test-root";
  public static final String SECRET_KEY = "goldpan-test-secret-0123456789";

  private static final Duration STARTUP = Duration.ofSeconds(60);
  private static final int START_ATTEMPTS = 3;

  private Path directory;
  private Process process;
  private URI endpoint;

  /** The binary: $GOLDPAN_MINIO, else bin/minio in $GOLDPAN_CACHE or ~/.cache/goldpan. */
  public static Path binary() {
    String explicit = System.getenv("GOLDPAN_MINIO");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String cache = System.getenv("GOLDPAN_CACHE");
    Path root =
        cache != null && !cache.isBlank()
            ? Path.of(cache)
            : Path.of(System.getProperty("user.home"), ".cache", "goldpan");
    return root.resolve("bin").resolve("minio");
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Path binary = binary();
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException(
          "no MinIO server at "
              + binary
              + ": run e2e/tools/minio-build (it builds MinIO from its Go module into that path)");
    }
    directory = Files.createTempDirectory("goldpan-minio-");
    IllegalStateException failure = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      try {
        start(binary, attempt);
        return;
      } catch (IllegalStateException e) {
        stop();
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    throw failure;
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    stop();
    if (directory != null) {
      try (Stream<Path> paths = Files.walk(directory)) {
        for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }

  /** The S3 endpoint, {@code http://127.0.0.1:<port>}. */
  public URI endpoint() {
    return endpoint;
  }

  /** Settings with the root credentials. */
  public S3Settings settings() {
    return settings(ACCESS_KEY, SECRET_KEY);
  }

  /** Settings for this server with any keys, right or wrong. */
  public S3Settings settings(String accessKey, String secretKey) {
    return S3Settings.builder().optEndpoint(endpoint).optCredentials(accessKey, secretKey).build();
  }

  /**
   * Writes a secret's files into {@code directory} as the operator mounts them: {@code accessKey},
   * {@code secretKey} and {@code endpoint}, each with a trailing newline as {@code kubectl create
   * secret --from-file} leaves it.
   */
  public Path writeCredentials(Path directory, String accessKey, String secretKey)
      throws IOException {
    Files.createDirectories(directory);
    Files.writeString(directory.resolve(S3Settings.ACCESS_KEY_FILE), accessKey + "\n");
    Files.writeString(directory.resolve(S3Settings.SECRET_KEY_FILE), secretKey + "\n");
    Files.writeString(directory.resolve(S3Settings.ENDPOINT_FILE), endpoint + "\n");
    return directory;
  }

  /** Creates {@code bucket} with the root credentials. */
  public void createBucket(String bucket) {
    try (S3Client client =
        S3Client.builder()
            .httpClientBuilder(Apache5HttpClient.builder())
            .endpointOverride(endpoint)
            .forcePathStyle(true)
            .region(Region.US_EAST_1)
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
            .build()) {
      client.createBucket(request -> request.bucket(bucket));
    }
  }

  private void start(Path binary, int attempt) throws IOException, InterruptedException {
    int port = freePort();
    Path data = Files.createDirectories(directory.resolve("data-" + attempt));
    Path log = directory.resolve("minio-" + attempt + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    binary.toString(),
                    "server",
                    data.toString(),
                    "--address",
                    "127.0.0.1:" + port,
                    "--certs-dir",
                    Files.createDirectories(directory.resolve("certs")).toString(),
                    "--quiet"))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().put("MINIO_ROOT_USER", ACCESS_KEY);
    builder.environment().put("MINIO_ROOT_PASSWORD", SECRET_KEY);
    builder.environment().put("MINIO_BROWSER", "off");
    builder.environment().put("MINIO_UPDATE", "off");
    builder.environment().put("HOME", directory.toString());
    process = builder.start();
    endpoint = URI.create("http://127.0.0.1:" + port);
    awaitLive(log);
  }

  private void awaitLive(Path log) throws InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest live =
        HttpRequest.newBuilder(endpoint.resolve("/minio/health/live"))
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build();
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "MinIO exited with " + process.exitValue() + " before it was live:\n" + tail(log));
      }
      try {
        if (http.send(live, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "MinIO at " + endpoint + " was not live after " + STARTUP + ":\n" + tail(log));
  }

  private void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }
}
