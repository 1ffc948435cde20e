package dev.goldpan.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link S3Settings} from a mounted secret and the environment, and {@link S3Location}. */
class S3SettingsTest {

  private static final String ACCESS_KEY = "AKIAEXAMPLEEXAMPLE12";
  private static final String SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

  @TempDir Path secret;

  @Test
  void readsTheSecretsFilesAndTurnsPathStyleOnForAnEndpoint() throws IOException {
    Files.writeString(secret.resolve("accessKey"), ACCESS_KEY + "\n");
    Files.writeString(secret.resolve("secretKey"), SECRET_KEY + "\n");
    Files.writeString(secret.resolve("endpoint"), "http://minio.storage:9000\n");
    Files.writeString(secret.resolve("region"), "eu-central-1");

    S3Settings settings = S3Settings.fromDirectory(secret, Map.of("AWS_REGION", "us-west-2"));

    assertThat(settings.endpoint()).isEqualTo(URI.create("http://minio.storage:9000"));
    assertThat(settings.pathStyle()).isTrue();
    assertThat(settings.region()).isEqualTo("eu-central-1");
    assertThat(settings.credentialsProvider().resolveCredentials().accessKeyId())
        .isEqualTo(ACCESS_KEY);
    assertThat(settings.credentialsProvider().resolveCredentials().secretAccessKey())
        .isEqualTo(SECRET_KEY);
    assertThat(settings.toString())
        .contains("minio.storage", secret.toString())
        .doesNotContain(ACCESS_KEY, SECRET_KEY);
    assertThat(settings.redact("key " + ACCESS_KEY + " secret " + SECRET_KEY))
        .isEqualTo("key **** secret ****");
  }

  @Test
  void withoutFilesUsesTheEnvironmentAndDefaults() {
    S3Settings aws = S3Settings.fromDirectory(secret.resolve("absent"), Map.of());
    assertThat(aws.endpoint()).isNull();
    assertThat(aws.pathStyle()).isFalse();
    assertThat(aws.region()).isEqualTo(S3Settings.DEFAULT_REGION);
    assertThat(aws.credentialsSource()).contains("default credential chain");

    S3Settings fromEnvironment =
        S3Settings.fromDirectory(
            secret,
            Map.of(
                "AWS_ENDPOINT_URL", "https://s3.example.org", "AWS_DEFAULT_REGION", "ap-east-1"));
    assertThat(fromEnvironment.endpoint()).isEqualTo(URI.create("https://s3.example.org"));
    assertThat(fromEnvironment.pathStyle()).isTrue();
    assertThat(fromEnvironment.region()).isEqualTo("ap-east-1");
  }

  @Test
  void credentialDirectoriesComeFromTheirVariables() {
    assertThat(
            S3Settings.directoryFrom(
                Map.of(),
                S3Settings.OUTPUT_CREDENTIALS_VARIABLE,
                S3Settings.DEFAULT_OUTPUT_CREDENTIALS))
        .isEqualTo(Path.of("/var/run/secrets/goldpan/s3"));
    assertThat(
            S3Settings.directoryFrom(
                Map.of(S3Settings.DATASET_CREDENTIALS_VARIABLE, "/secrets/data"),
                S3Settings.DATASET_CREDENTIALS_VARIABLE,
                S3Settings.DEFAULT_DATASET_CREDENTIALS))
        .isEqualTo(Path.of("/secrets/data"));
  }

  @Test
  void anIncompleteSecretNamesTheMissingFileNotTheKey() throws IOException {
    Files.writeString(secret.resolve("secretKey"), SECRET_KEY);

    assertThatThrownBy(() -> S3Settings.fromDirectory(secret, Map.of()))
        .isInstanceOf(StorageException.class)
        .hasMessageContaining(secret.resolve("accessKey").toString())
        .message()
        .doesNotContain(SECRET_KEY);
  }

  @Test
  void aBadEndpointNamesItsSource() throws IOException {
    Files.writeString(secret.resolve("endpoint"), "minio:9000");

    assertThatThrownBy(() -> S3Settings.fromDirectory(secret, Map.of()))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("minio:9000")
        .hasMessageContaining(secret.resolve("endpoint").toString());
  }

  @Test
  void parsesS3Locations() {
    S3Location location = S3Location.parse("s3://results/jobs/tiny/", "spec.output.location");
    assertThat(location.bucket()).isEqualTo("results");
    assertThat(location.prefix()).isEqualTo("jobs/tiny");
    assertThat(location.key("checkpoints/distill-5.npz"))
        .isEqualTo("jobs/tiny/checkpoints/distill-5.npz");
    assertThat(location.uri("manifest.json")).isEqualTo("s3://results/jobs/tiny/manifest.json");
    assertThat(S3Location.parse("s3://results", "f").key("a.json")).isEqualTo("a.json");

    assertThatThrownBy(() -> S3Location.parse("s3:///jobs", "spec.output.location"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageStartingWith("spec.output.location: s3:///jobs");
    assertThatThrownBy(() -> S3Location.parse("s3://results/../other", "spec.output.location"))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("'..'");
  }
}
