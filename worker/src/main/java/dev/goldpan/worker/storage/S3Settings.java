package dev.goldpan.worker.storage;

import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * How to reach an S3-compatible store: an endpoint override (MinIO and other S3-compatible stores;
 * none for AWS), the region, path-style addressing (on whenever an endpoint is given, as MinIO
 * needs) and the credentials.
 *
 * <p>Credentials come from the files of the job's Secret, mounted as a directory with {@code
 * accessKey}, {@code secretKey} and optionally {@code endpoint} and {@code region}; without those
 * files, from the SDK's default chain ({@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, web
 * identity, instance profile...). {@link #toString()} never shows a key.
 */
public final class S3Settings {

  /** Names the directory of the output location's secret. */
  public static final String OUTPUT_CREDENTIALS_VARIABLE = "GOLDPAN_S3_CREDENTIALS_DIR";

  public static final Path DEFAULT_OUTPUT_CREDENTIALS = Path.of("/var/run/secrets/goldpan/s3");

  /** Names the directory of the data set source's secret. */
  public static final String DATASET_CREDENTIALS_VARIABLE = "GOLDPAN_DATASET_CREDENTIALS_DIR";

  public static final Path DEFAULT_DATASET_CREDENTIALS =
      Path.of("/var/run/secrets/goldpan/dataset-s3");

  public static final String DEFAULT_REGION = "us-east-1";

  public static final String ACCESS_KEY_FILE = "accessKey";
  public static final String SECRET_KEY_FILE = "secretKey";
  public static final String ENDPOINT_FILE = "endpoint";
  public static final String REGION_FILE = "region";

  private final URI endpoint;
  private final String region;
  private final boolean pathStyle;
  private final AwsBasicCredentials credentials;
  private final String credentialsSource;
  private AwsCredentialsProvider credentialsProvider;

  private S3Settings(Builder builder) {
    this.endpoint = builder.endpoint;
    this.region = builder.region;
    this.pathStyle = builder.pathStyle != null ? builder.pathStyle : builder.endpoint != null;
    this.credentials = builder.credentials;
    this.credentialsSource =
        builder.credentialsSource != null
            ? builder.credentialsSource
            : builder.credentials != null ? "given keys" : "the SDK's default credential chain";
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The output location's settings: the directory in $GOLDPAN_S3_CREDENTIALS_DIR, or its default.
   */
  public static Path outputCredentialsDirectory() {
    return directoryFrom(System.getenv(), OUTPUT_CREDENTIALS_VARIABLE, DEFAULT_OUTPUT_CREDENTIALS);
  }

  /** The data set's: the directory in $GOLDPAN_DATASET_CREDENTIALS_DIR, or its default. */
  public static Path datasetCredentialsDirectory() {
    return directoryFrom(
        System.getenv(), DATASET_CREDENTIALS_VARIABLE, DEFAULT_DATASET_CREDENTIALS);
  }

  static Path directoryFrom(Map<String, String> environment, String variable, Path fallback) {
    String value = environment.get(variable);
    return value == null || value.isBlank() ? fallback : Path.of(value.trim());
  }

  /** Settings from a secret's files in {@code directory}, with the process environment. */
  public static S3Settings fromDirectory(Path directory) {
    return fromDirectory(directory, System.getenv());
  }

  /**
   * Settings from a secret's files in {@code directory} (which need not exist). What the files do
   * not give comes from {@code environment}: the endpoint from {@code AWS_ENDPOINT_URL_S3} or
   * {@code AWS_ENDPOINT_URL}, the region from {@code AWS_REGION} or {@code AWS_DEFAULT_REGION}
   * (else {@value #DEFAULT_REGION}), and the keys from the SDK's default chain.
   */
  public static S3Settings fromDirectory(Path directory, Map<String, String> environment) {
    Builder builder = builder();
    String accessKey = readFile(directory, ACCESS_KEY_FILE);
    String secretKey = readFile(directory, SECRET_KEY_FILE);
    if (accessKey != null || secretKey != null) {
      if (accessKey == null || secretKey == null) {
        throw new StorageException(
            "S3 credentials in "
                + directory
                + " are incomplete: "
                + directory.resolve(accessKey == null ? ACCESS_KEY_FILE : SECRET_KEY_FILE)
                + " is missing or empty");
      }
      builder.optCredentials(accessKey, secretKey);
      builder.credentialsSource = "the files in " + directory;
    }
    String endpoint = readFile(directory, ENDPOINT_FILE);
    String endpointSource = directory.resolve(ENDPOINT_FILE).toString();
    for (String variable : new String[] {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
      if (endpoint == null && !isBlank(environment.get(variable))) {
        endpoint = environment.get(variable).trim();
        endpointSource = "$" + variable;
      }
    }
    if (endpoint != null) {
      builder.optEndpoint(parseEndpoint(endpoint, endpointSource));
    }
    String region = readFile(directory, REGION_FILE);
    for (String variable : new String[] {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
      if (region == null && !isBlank(environment.get(variable))) {
        region = environment.get(variable).trim();
      }
    }
    if (region != null) {
      builder.optRegion(region);
    }
    return builder.build();
  }

  /** The endpoint override, or null for AWS's own endpoints. */
  public URI endpoint() {
    return endpoint;
  }

  public String region() {
    return region;
  }

  public boolean pathStyle() {
    return pathStyle;
  }

  /** The SDK's provider of these credentials (one per settings, the default chain caches). */
  synchronized AwsCredentialsProvider credentialsProvider() {
    if (credentialsProvider == null) {
      credentialsProvider =
          credentials != null
              ? StaticCredentialsProvider.create(credentials)
              : DefaultCredentialsProvider.builder().build();
    }
    return credentialsProvider;
  }

  /**
   * {@code text} with the keys of these settings masked, for messages built from what a store or
   * the SDK said. Keys of the default chain are looked up only when it can resolve them.
   */
  String redact(String text) {
    if (text == null) {
      return null;
    }
    String accessKey = null;
    String secretKey = null;
    if (credentials != null) {
      accessKey = credentials.accessKeyId();
      secretKey = credentials.secretAccessKey();
    } else {
      try {
        var resolved = credentialsProvider().resolveCredentials();
        accessKey = resolved.accessKeyId();
        secretKey = resolved.secretAccessKey();
      } catch (RuntimeException unresolvable) {
        // Nothing resolvable, so nothing the SDK could have put into the text.
      }
    }
    String redacted = text;
    for (String key : new String[] {secretKey, accessKey}) {
      if (key != null && !key.isEmpty()) {
        redacted = redacted.replace(key, "****");
      }
    }
    return redacted;
  }

  /** Where the keys come from, for messages: never the keys themselves. */
  public String credentialsSource() {
    return credentialsSource;
  }

  @Override
  public String toString() {
    return "S3Settings[endpoint="
        + (endpoint == null ? "AWS" : endpoint)
        + ", region="
        + region
        + ", pathStyle="
        + pathStyle
        + ", credentials from "
        + credentialsSource
        + "]";
  }

  private static URI parseEndpoint(String value, String source) {
    try {
      URI uri = new URI(value);
      if (uri.getHost() == null
          || !("http".equalsIgnoreCase(uri.getScheme())
              || "https".equalsIgnoreCase(uri.getScheme()))) {
        throw new URISyntaxException(value, "not an http:// or https:// URL with a host");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new InvalidInputException(
          "S3 endpoint '" + value + "' from " + source + " is not an http:// or https:// URL", e);
    }
  }

  /** The trimmed content of {@code directory/name}, or null when it is absent or blank. */
  private static String readFile(Path directory, String name) {
    Path file = directory.resolve(name);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      String value = Files.readString(file, StandardCharsets.UTF_8).trim();
      return value.isEmpty() ? null : value;
    } catch (IOException e) {
      throw new StorageException("cannot read S3 settings file " + file + ": " + e.getMessage(), e);
    }
  }

  private static boolean isBlank(String value) {
    return value == null || value.isBlank();
  }

  /** Settings by hand; {@code optX} values are optional, as in DJL's builders. */
  public static final class Builder {
    private URI endpoint;
    private String region = DEFAULT_REGION;
    private Boolean pathStyle;
    private AwsBasicCredentials credentials;
    private String credentialsSource;

    private Builder() {}

    /** An S3-compatible endpoint instead of AWS's; turns path-style addressing on. */
    public Builder optEndpoint(URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    public Builder optRegion(String region) {
      this.region = region;
      return this;
    }

    /** Path-style addressing ({@code endpoint/bucket/key}); default: on with an endpoint. */
    public Builder optPathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /** Fixed keys instead of the SDK's default chain. */
    public Builder optCredentials(String accessKey, String secretKey) {
      this.credentials = AwsBasicCredentials.create(accessKey, secretKey);
      return this;
    }

    public S3Settings build() {
      return new S3Settings(this);
    }
  }
}
