package dev.goldpan.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.worker.engine.NativeBfloat16;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.io.Npz;
import dev.goldpan.worker.stage.TinyJobs;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GoldpanWorkerTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path directory;

  private Path data;
  private Path output;
  private Path terminationLog;

  @BeforeEach
  void writeData() {
    data = TinyJobs.writeDataSet(directory.resolve("data"), 60, 30);
    output = directory.resolve("out");
    terminationLog = directory.resolve("termination-log");
  }

  private Path manifest(Map<String, Object> overrides) {
    return TinyJobs.writeManifest(directory.resolve("job.yaml"), data, output, overrides);
  }

  private int stage(String stage, Path task, String... more) {
    String[] base = {
      "stage", stage, "--task", task.toString(), "--termination-log", terminationLog.toString()
    };
    String[] args = Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    return GoldpanWorker.execute(args);
  }

  /** The termination message: exactly one line of JSON. */
  private JsonNode termination() throws IOException {
    List<String> lines = Files.readAllLines(terminationLog);
    assertThat(lines).hasSize(1);
    return JSON.readTree(lines.get(0));
  }

  private void assertFailed(String stage, int exitCode, String... messageParts) throws IOException {
    JsonNode summary = termination();
    assertThat(summary.path("stage").asText()).isEqualTo(stage);
    assertThat(summary.path("status").asText()).isEqualTo("Failed");
    assertThat(summary.path("exitCode").asInt()).isEqualTo(exitCode);
    assertThat(summary.path("message").asText()).contains(messageParts);
  }

  @Test
  void missingTaskFileIsInvalidInput() throws IOException {
    Path task = directory.resolve("no-such-job.yaml");

    assertThat(stage("select", task)).isEqualTo(2);

    assertFailed("select", 2, task.toString(), "does not exist");
  }

  @Test
  void missingDatasetDirectoryIsInvalidInput() throws IOException {
    Path absent = directory.resolve("no-such-data");
    Path task =
        manifest(
            Map.of(
                "spec.dataset.source",
                "file://" + absent,
                "spec.selection.static.criterion",
                "random"));

    assertThat(stage("score", task, "--index", "0")).isEqualTo(2);

    assertFailed("score", 2, "spec.dataset.source", absent.toString());
  }

  @Test
  void truncatedIdxFileIsInvalidInput() throws IOException {
    Path labels = data.resolve(TinyJobs.TRAIN_LABELS);
    byte[] bytes = Files.readAllBytes(labels);
    Files.write(labels, Arrays.copyOf(bytes, bytes.length - 5));

    assertThat(stage("select", manifest(Map.of()))).isEqualTo(2);

    assertFailed("select", 2, labels.toString(), "truncated");
  }

  @Test
  void unknownSpecFieldIsInvalidInput() throws IOException {
    Path task = manifest(Map.of("spec.selection.static.keepRatoi", 0.3));

    assertThat(stage("select", task)).isEqualTo(2);

    assertFailed("select", 2, task.toString(), "spec.selection.static.keepRatoi");
  }

  @Test
  void unwritableOutputIsAStorageError() throws IOException {
    Path file = Files.writeString(directory.resolve("a-file"), "not a directory");
    Path under = file.resolve("out");

    assertThat(stage("select", manifest(Map.of()), "--output", under.toString())).isEqualTo(3);

    assertFailed("select", 3, under.toString());
  }

  @Test
  void stagesRunOneAfterAnotherAsPodsDo() throws IOException {
    // 20 epochs on the 6 synthetic images are enough to tell the tiny classes apart.
    Path task = manifest(Map.of("spec.evaluation.epochs", 20));

    assertThat(stage("score", task, "--index", "0")).isEqualTo(0);
    JsonNode scored = termination();
    assertThat(scored.path("status").asText()).isEqualTo("Succeeded");
    assertThat(scored.path("stage").asText()).isEqualTo("score");
    assertThat(scored.path("samples").asInt()).isEqualTo(60);
    assertThat(output.resolve("scores-0.npy")).isRegularFile();

    // Distillation runs the selection itself when selection.json is missing.
    assertThat(stage("distill", task)).isEqualTo(0);
    JsonNode distilled = termination();
    assertThat(distilled.path("status").asText()).isEqualTo("Succeeded");
    assertThat(distilled.path("syntheticImages").asInt()).isEqualTo(6);
    assertThat(distilled.path("iterations").asInt()).isEqualTo(5);
    assertThat(distilled.path("realSamplesKept").asInt()).isEqualTo(30);
    assertThat(output.resolve("selection.json")).isRegularFile();

    assertThat(stage("evaluate", task)).isEqualTo(0);
    JsonNode evaluated = termination();
    assertThat(evaluated.path("status").asText()).isEqualTo("Succeeded");
    assertThat(evaluated.path("models").asInt()).isEqualTo(1);
    assertThat(evaluated.path("accuracyMean").isNumber()).isTrue();
    assertThat(evaluated.path("accuracyMean").asDouble()).isBetween(0.6, 1.0);
    assertThat(evaluated.path("baselines").path("random-real").path("mean").asDouble())
        .isBetween(0.0, 1.0);
    assertThat(output.resolve("evaluation.json")).isRegularFile();
  }

  @Test
  void runExecutesThePipelineAndRecordsItInTheManifest() throws Exception {
    Path job = manifest(Map.of());
    Path runOutput = directory.resolve("run");

    assertThat(GoldpanWorker.execute("run", job.toString(), "--output", runOutput.toString()))
        .isEqualTo(0);

    for (String artifact :
        List.of(
            "scores-0.npy",
            "scores.npy",
            "selection.json",
            "synthetic.npz",
            "synthetic.png",
            "evaluation.json",
            "manifest.json")) {
      assertThat(runOutput.resolve(artifact)).isRegularFile();
    }
    // spec.output.location is not where --output sends the artifacts.
    assertThat(output).doesNotExist();

    Map<String, NpyArray> synthetic = Npz.read(runOutput.resolve("synthetic.npz"));
    assertThat(synthetic.get("images").shape()).containsExactly(6, 1, 10, 10);
    assertThat(synthetic.get("labels").ints()).containsExactly(0, 0, 1, 1, 2, 2);
    BufferedImage preview = ImageIO.read(runOutput.resolve("synthetic.png").toFile());
    assertThat(preview).isNotNull();

    JsonNode manifest = JSON.readTree(runOutput.resolve("manifest.json").toFile());
    assertThat(manifest.path("name").asText()).isEqualTo("tiny");
    assertThat(manifest.path("seed").asLong()).isEqualTo(7);
    assertThat(manifest.path("spec").path("seed").asLong()).isEqualTo(7);
    assertThat(manifest.path("spec").path("dataset").path("source").asText())
        .isEqualTo("file://" + data);
    assertThat(manifest.path("spec").path("model").path("width").asInt()).isEqualTo(8);
    for (String version : List.of("goldpan", "djl", "engine", "java")) {
      assertThat(manifest.path("versions").path(version).asText()).as(version).isNotBlank();
    }
    assertThat(manifest.path("dataset").path("sha256").asText()).isEqualTo(digest(data));
    assertThat(manifest.path("dataset").path("train").asInt()).isEqualTo(60);
    assertThat(manifest.path("dataset").path("test").asInt()).isEqualTo(30);
    assertThat(manifest.path("dataset").path("classes").asInt()).isEqualTo(3);
    for (String stage : List.of("score-0", "select", "distill", "evaluate")) {
      JsonNode entry = manifest.path("stages").path(stage);
      assertThat(entry.path("seconds").isNumber()).as(stage).isTrue();
      assertThat(entry.path("seconds").asDouble()).as(stage).isGreaterThanOrEqualTo(0);
      assertThat(entry.path("summary").path("status").asText()).isEqualTo("Succeeded");
    }
    assertThat(manifest.path("distillation").path("lossCurve")).isNotEmpty();
    // The default spec asks for auto: the manifest says what it resolved to on this machine.
    assertThat(manifest.path("distillation").path("realEmbeddingPrecision").asText())
        .isEqualTo(NativeBfloat16.supported(Device.cpu()) ? "bfloat16" : "float32");

    JsonNode evaluation = JSON.readTree(runOutput.resolve("evaluation.json").toFile());
    assertThat(evaluation.path("synthetic").path("mean").asDouble()).isBetween(0.0, 1.0);
    assertThat(evaluation.path("syntheticImages").asInt()).isEqualTo(6);
  }

  /**
   * The documented data set digest: SHA-256 over each file, in reading order, of its name, a zero
   * byte, its length as 8 big-endian bytes and its content.
   */
  private static String digest(Path root) throws Exception {
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    for (String name :
        List.of(
            TinyJobs.TRAIN_IMAGES,
            TinyJobs.TRAIN_LABELS,
            TinyJobs.TEST_IMAGES,
            TinyJobs.TEST_LABELS)) {
      byte[] content = Files.readAllBytes(root.resolve(name));
      sha256.update(name.getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) 0);
      sha256.update(ByteBuffer.allocate(8).putLong(content.length).array());
      sha256.update(content);
    }
    return HexFormat.of().formatHex(sha256.digest());
  }
}
