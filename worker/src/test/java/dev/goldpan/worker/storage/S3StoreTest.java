package dev.goldpan.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.worker.StorageException;
import dev.goldpan.worker.cli.GoldpanWorker;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.stage.TinyJobs;
import dev.goldpan.worker.stage.Workspace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@link S3Store}, {@link S3Output} and the s3:// locations of the CLI against a real MinIO. */
class S3StoreTest {

  @RegisterExtension static final MinioServer MINIO = new MinioServer();

  private static final String BUCKET = "goldpan-test";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path directory;

  @BeforeAll
  static void createBucket() {
    MINIO.createBucket(BUCKET);
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private int stage(String stage, Path task, Path terminationLog, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "stage",
                stage,
                "--task",
                task.toString(),
                "--termination-log",
                terminationLog.toString()));
    args.addAll(List.of(more));
    return GoldpanWorker.execute(args.toArray(String[]::new));
  }

  private static JsonNode termination(Path terminationLog) throws IOException {
    List<String> lines = Files.readAllLines(terminationLog);
    assertThat(lines).hasSize(1);
    return JSON.readTree(lines.get(0));
  }

  @Test
  void uploadsListsAndDownloadsAPrefix() throws IOException {
    Path source = Files.createDirectories(directory.resolve("source/checkpoints"));
    Map<String, byte[]> files =
        Map.of(
            "synthetic.npz", randomBytes(3 << 20, 1),
            "checkpoints/distill-100.npz", randomBytes(4096, 2),
            "selection.json", "{\"kept\": 30}".getBytes(StandardCharsets.UTF_8),
            "empty.txt", new byte[0]);
    S3Location location = S3Location.parse("s3://" + BUCKET + "/round-trip/job", "test");
    S3Location neighbour = S3Location.parse("s3://" + BUCKET + "/round-trip/job-2", "test");
    try (S3Store store = new S3Store(MINIO.settings())) {
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        Path path = source.getParent().resolve(file.getKey());
        Files.write(path, file.getValue());
        store.upload(path, location, file.getKey());
      }
      store.upload(source.getParent().resolve("empty.txt"), neighbour, "not-mine.txt");

      assertThat(store.list(location))
          .extracting(S3Store.StoredObject::name, S3Store.StoredObject::size)
          .containsExactlyInAnyOrder(
              files.entrySet().stream()
                  .map(e -> Tuple.tuple(e.getKey(), (long) e.getValue().length))
                  .toArray(Tuple[]::new));

      Path target = directory.resolve("target");
      assertThat(store.download(location, target)).isEqualTo(files.size());
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        assertThat(Files.readAllBytes(target.resolve(file.getKey())))
            .as(file.getKey())
            .isEqualTo(file.getValue());
      }
      assertThat(target.resolve("not-mine.txt")).doesNotExist();
      assertThat(store.download(location, target)).as("same sizes: nothing fetched again").isZero();
      assertThat(store.read(location, "selection.json")).hasValue(files.get("selection.json"));
      assertThat(store.read(location, "no-such-artifact.json")).isEmpty();
    }
  }

  @Test
  void outputUploadsArtifactsAtOnceAndTheMergedManifestLast() throws IOException {
    S3Location location = S3Location.parse("s3://" + BUCKET + "/output/job", "test");
    try (S3Store store = new S3Store(MINIO.settings())) {
      Path other =
          Files.writeString(
              directory.resolve("other.json"),
              "{\"stages\": {\"score-1\": {\"seconds\": 2}}, \"name\": \"old\"}");
      store.upload(other, location, Workspace.MANIFEST);

      try (S3Output output =
          S3Output.pull(new S3Store(MINIO.settings()), location, directory.resolve("work"))) {
        Workspace workspace = new Workspace(output.directory());
        workspace.setPublisher(output);
        assertThat(workspace.readJson(Workspace.MANIFEST).path("name").asText()).isEqualTo("old");

        workspace.updateManifest(
            manifest ->
                manifest.put("name", "job").with("stages").putObject("score-0").put("seconds", 1));
        workspace.writeJson("selection.json", Map.of("kept", 3));
        assertThat(store.list(location))
            .extracting(S3Store.StoredObject::name)
            .containsExactlyInAnyOrder("selection.json", Workspace.MANIFEST);
        assertThat(
                JSON.readTree(store.read(location, Workspace.MANIFEST).orElseThrow())
                    .path("stages")
                    .has("score-0"))
            .as("the manifest waits for finish()")
            .isFalse();

        Path checkpoints = Files.createDirectories(output.directory().resolve("checkpoints"));
        Files.writeString(checkpoints.resolve("distill-1.npz"), "first");
        workspace.publish("checkpoints/distill-1.npz");
        Files.delete(checkpoints.resolve("distill-1.npz"));
        Files.writeString(checkpoints.resolve("distill-2.npz"), "second");
        workspace.publish("checkpoints/distill-2.npz");
        assertThat(store.list(location))
            .as("a checkpoint deleted locally goes from the bucket after the next upload")
            .extracting(S3Store.StoredObject::name)
            .containsExactlyInAnyOrder(
                "selection.json", "checkpoints/distill-2.npz", Workspace.MANIFEST);

        Path concurrent =
            Files.writeString(
                directory.resolve("concurrent.json"),
                "{\"stages\": {\"score-1\": {\"seconds\": 2}, \"score-2\": {\"seconds\": 3}}}");
        store.upload(concurrent, location, Workspace.MANIFEST);
        output.finish();
      }
      JsonNode manifest = JSON.readTree(store.read(location, Workspace.MANIFEST).orElseThrow());
      assertThat(manifest.path("name").asText()).isEqualTo("job");
      assertThat(manifest.path("stages").fieldNames())
          .toIterable()
          .containsExactlyInAnyOrder("score-0", "score-1", "score-2");
    }
  }

  @Test
  void stagesReadAndWriteAnS3OutputLocation() throws IOException {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), 60, 30);
    String output = "s3://" + BUCKET + "/jobs/tiny";
    Path task =
        TinyJobs.writeManifest(
            directory.resolve("job.yaml"),
            data,
            directory.resolve("unused"),
            Map.of(
                "spec.output.location",
                output,
                "spec.distillation.iterations",
                10,
                "spec.distillation.checkpointInterval",
                2,
                "spec.evaluation.models",
                2,
                "spec.evaluation.parallelism",
                2));
    Path credentials =
        MINIO.writeCredentials(
            directory.resolve("secret"), MinioServer.ACCESS_KEY, MinioServer.SECRET_KEY);
    Path log = directory.resolve("termination-log");

    assertThat(
            stage(
                "score",
                task,
                log,
                "--s3-credentials",
                credentials.toString(),
                "--work-dir",
                directory.resolve("pod-1").toString()))
        .isZero();
    // A second pod with an empty work directory: select reads the scores the first one uploaded.
    assertThat(
            stage(
                "select",
                task,
                log,
                "--s3-credentials",
                credentials.toString(),
                "--work-dir",
                directory.resolve("pod-2").toString()))
        .isZero();

    assertThat(termination(log).path("status").asText()).isEqualTo("Succeeded");
    assertThat(directory.resolve("pod-2/scores-0.npy")).isRegularFile();
    assertThat(
            stage(
                "distill",
                task,
                log,
                "--s3-credentials",
                credentials.toString(),
                "--work-dir",
                directory.resolve("pod-3").toString()))
        .isZero();
    try (S3Store store = new S3Store(MINIO.settings())) {
      S3Location location = S3Location.parse(output, "test");
      assertThat(store.list(location))
          .extracting(S3Store.StoredObject::name)
          .contains(
              "scores-0.npy",
              "scores.npy",
              "selection.json",
              "synthetic.npz",
              "synthetic.png",
              Workspace.MANIFEST)
          .noneMatch(name -> name.startsWith(".") || name.contains("/."));
      List<String> local;
      try (var files = Files.list(directory.resolve("pod-3/checkpoints"))) {
        local = files.map(file -> "checkpoints/" + file.getFileName()).toList();
      }
      assertThat(local).isNotEmpty();
      assertThat(store.list(location))
          .as("the bucket keeps the checkpoints the stage kept")
          .extracting(S3Store.StoredObject::name)
          .filteredOn(name -> name.startsWith("checkpoints/"))
          .containsExactlyInAnyOrderElementsOf(local);
      JsonNode manifest = JSON.readTree(store.read(location, Workspace.MANIFEST).orElseThrow());
      assertThat(manifest.path("stages").fieldNames())
          .toIterable()
          .contains("score-0", "select", "distill");
      Path scores =
          Files.write(
              directory.resolve("scores.npy"), store.read(location, "scores.npy").orElseThrow());
      assertThat(Npy.readFloats(scores)).hasSize(60);
    }

    // Two evaluation pods, each with its own work directory: the one that finishes second fetches
    // the other's part from the bucket and merges both.
    assertThat(evaluate(task, log, credentials, 1)).isZero();
    assertThat(termination(log).has("accuracyMean")).isFalse();
    assertThat(evaluate(task, log, credentials, 0)).isZero();
    JsonNode merged = termination(log);
    assertThat(merged.path("models").asInt()).isEqualTo(2);
    assertThat(merged.path("accuracyMean").isNumber()).isTrue();
    try (S3Store store = new S3Store(MINIO.settings())) {
      S3Location location = S3Location.parse(output, "test");
      JsonNode evaluation = JSON.readTree(store.read(location, "evaluation.json").orElseThrow());
      assertThat(evaluation.path("synthetic").path("accuracies").size()).isEqualTo(2);
      assertThat(store.list(location))
          .extracting(S3Store.StoredObject::name)
          .contains("evaluation-part-0.json", "evaluation-part-1.json", "report.html");
      JsonNode manifest = JSON.readTree(store.read(location, Workspace.MANIFEST).orElseThrow());
      assertThat(manifest.path("stages").fieldNames())
          .toIterable()
          .contains("distill", "evaluate-0", "evaluate-1");
    }
  }

  private int evaluate(Path task, Path log, Path credentials, int index) {
    return stage(
        "evaluate",
        task,
        log,
        "--index",
        String.valueOf(index),
        "--s3-credentials",
        credentials.toString(),
        "--work-dir",
        directory.resolve("evaluate-" + index).toString());
  }

  @Test
  void readsADataSetFromS3ThroughTheCache() throws IOException {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), 60, 30);
    String source = "s3://" + BUCKET + "/datasets/tiny-idx";
    S3Location location = S3Location.parse(source, "test");
    try (S3Store store = new S3Store(MINIO.settings())) {
      for (String name :
          List.of(
              TinyJobs.TRAIN_IMAGES,
              TinyJobs.TRAIN_LABELS,
              TinyJobs.TEST_IMAGES,
              TinyJobs.TEST_LABELS)) {
        store.upload(data.resolve(name), location, name);
      }
    }
    Path output = directory.resolve("out");
    Path task =
        TinyJobs.writeManifest(
            directory.resolve("job.yaml"),
            data,
            output,
            Map.of("spec.dataset.source", source, "spec.selection.static.criterion", "random"));
    Path credentials =
        MINIO.writeCredentials(
            directory.resolve("dataset-secret"), MinioServer.ACCESS_KEY, MinioServer.SECRET_KEY);
    Path cache = directory.resolve("cache");
    Path log = directory.resolve("termination-log");

    assertThat(
            stage(
                "score",
                task,
                log,
                "--dataset-credentials",
                credentials.toString(),
                "--cache-dir",
                cache.toString()))
        .isZero();

    assertThat(Npy.readFloats(output.resolve("scores-0.npy"))).hasSize(60);
    for (String name :
        List.of(
            TinyJobs.TRAIN_IMAGES,
            TinyJobs.TRAIN_LABELS,
            TinyJobs.TEST_IMAGES,
            TinyJobs.TEST_LABELS)) {
      assertThat(cache.resolve(BUCKET).resolve("datasets/tiny-idx").resolve(name))
          .hasSameBinaryContentAs(data.resolve(name));
    }
    JsonNode manifest = JSON.readTree(output.resolve(Workspace.MANIFEST).toFile());
    assertThat(manifest.path("dataset").path("source").asText()).isEqualTo(source);
    assertThat(manifest.path("dataset").path("train").asInt()).isEqualTo(60);
  }

  @Test
  void aWrongSecretKeyFailsWithExitCode3NamingTheBucketNotTheKeys() throws IOException {
    String wrongSecret = "not-the-secret-key-for-goldpan-42";
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), 60, 30);
    Path task =
        TinyJobs.writeManifest(
            directory.resolve("job.yaml"),
            data,
            directory.resolve("unused"),
            Map.of("spec.output.location", "s3://" + BUCKET + "/jobs/wrong-secret"));
    Path credentials =
        MINIO.writeCredentials(directory.resolve("secret"), MinioServer.ACCESS_KEY, wrongSecret);
    Path log = directory.resolve("termination-log");

    assertThat(
            stage(
                "select",
                task,
                log,
                "--s3-credentials",
                credentials.toString(),
                "--work-dir",
                directory.resolve("work").toString()))
        .isEqualTo(StorageException.EXIT_CODE);

    JsonNode failure = termination(log);
    assertThat(failure.path("status").asText()).isEqualTo("Failed");
    assertThat(failure.path("exitCode").asInt()).isEqualTo(3);
    assertThat(failure.path("message").asText())
        .contains(BUCKET, "jobs/wrong-secret", "SignatureDoesNotMatch")
        .doesNotContain(wrongSecret, MinioServer.SECRET_KEY, MinioServer.ACCESS_KEY);

    try (S3Store store = new S3Store(MINIO.settings("AKIAWRONGWRONGWRONG1", wrongSecret))) {
      assertThatThrownBy(
              () ->
                  store.upload(
                      data.resolve(TinyJobs.TRAIN_LABELS),
                      S3Location.parse("s3://" + BUCKET + "/x", "test"),
                      "labels"))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(BUCKET + "/x/labels")
          .hasMessageContaining("InvalidAccessKeyId")
          .message()
          .doesNotContain(wrongSecret, "AKIAWRONGWRONGWRONG1");
    }
  }

  @Test
  void aMissingBucketFailsNamingTheBucket() throws IOException {
    Path file = Files.writeString(directory.resolve("a.json"), "{}");
    S3Location location = S3Location.parse("s3://no-such-bucket-goldpan/prefix", "test");
    try (S3Store store = new S3Store(MINIO.settings())) {
      assertThatThrownBy(() -> store.list(location))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("no-such-bucket-goldpan/prefix")
          .hasMessageContaining("NoSuchBucket")
          .message()
          .doesNotContain(MinioServer.SECRET_KEY, MinioServer.ACCESS_KEY);
      assertThatThrownBy(() -> store.upload(file, location, "a.json"))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("s3://no-such-bucket-goldpan/prefix/a.json")
          .hasMessageContaining("NoSuchBucket");
      assertThatThrownBy(() -> store.download(location, directory.resolve("target")))
          .isInstanceOf(StorageException.class)
          .hasMessageContaining("NoSuchBucket");
    }
  }
}
