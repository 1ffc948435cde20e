package dev.goldpan.worker.cli;

import dev.goldpan.worker.storage.S3DatasetCache;
import dev.goldpan.worker.storage.S3Location;
import dev.goldpan.worker.storage.S3Output;
import dev.goldpan.worker.storage.S3Settings;
import dev.goldpan.worker.task.Locations;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where pvc:// locations are mounted, and how s3:// locations are reached. */
final class LocationOptions {

  @Option(
      names = "--volume",
      paramLabel = "CLAIM=DIR",
      description =
          "Local directory of a PersistentVolumeClaim named in pvc:// locations (repeatable).")
  Map<String, Path> volumes = new LinkedHashMap<>();

  @Option(
      names = "--volume-root",
      paramLabel = "DIR",
      description = "Where claims without --volume are mounted (default: ${DEFAULT-VALUE}).")
  Path volumeRoot = Locations.DEFAULT_VOLUME_ROOT;

  @Option(
      names = "--cache-dir",
      paramLabel = "DIR",
      description = "Where s3:// data set sources are downloaded (default: ${DEFAULT-VALUE}).")
  Path cacheDir = S3DatasetCache.defaultCache();

  @Option(
      names = "--s3-credentials",
      paramLabel = "DIR",
      description =
          "The output location's S3 secret: files accessKey, secretKey, [endpoint, region]"
              + " (default: $GOLDPAN_S3_CREDENTIALS_DIR, else /var/run/secrets/goldpan/s3;"
              + " without key files the SDK's default chain, e.g. AWS_ACCESS_KEY_ID).")
  Path s3Credentials;

  @Option(
      names = "--dataset-credentials",
      paramLabel = "DIR",
      description =
          "The data set source's S3 secret, as --s3-credentials (default:"
              + " $GOLDPAN_DATASET_CREDENTIALS_DIR, else /var/run/secrets/goldpan/dataset-s3).")
  Path datasetCredentials;

  Locations locations() {
    Path credentials =
        datasetCredentials != null ? datasetCredentials : S3Settings.datasetCredentialsDirectory();
    return new Locations(
        volumes,
        volumeRoot,
        new S3DatasetCache(cacheDir, () -> S3Settings.fromDirectory(credentials)));
  }

  /** The s3:// output location {@code uri}, staged in {@code workDir} with what it holds. */
  S3Output s3Output(String uri, Path workDir) {
    Path credentials =
        s3Credentials != null ? s3Credentials : S3Settings.outputCredentialsDirectory();
    return S3Output.open(
        S3Settings.fromDirectory(credentials),
        S3Location.parse(uri, "spec.output.location"),
        workDir);
  }
}
