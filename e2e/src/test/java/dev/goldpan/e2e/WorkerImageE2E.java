package dev.goldpan.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.goldpan.api.crd.TestManifests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker image as the chart names it, run by Docker the way a locked-down pod runs it: a
 * read-only root filesystem, only /tmp writable, an arbitrary non-root user and no network.
 */
class WorkerImageE2E {

  private static final String TASK =
      """
      apiVersion: goldpan.dev/v1alpha1
      kind: DistillationJob
      metadata: {name: image-smoke}
      spec:
        dataset: {format: idx, source: pvc://fashion-mnist/}
        model: {depth: 2, width: 16}
        selection:
          static: {criterion: loss-init, keepRatio: 0.5, scoring: {epochs: 1, initEpochs: 1}}
        distillation: {algorithm: dm, imagesPerClass: 2, iterations: 20, batchReal: 32}
        evaluation: {models: 1, epochs: 10}
        output: {location: file:///out}
        resources: {gpus: 0}
      """;

  @Test
  void runsAJobWithAReadOnlyRootAsAnotherUserWithoutNetwork(@TempDir Path dir) throws IOException {
    String image = E2eCluster.chartWorkerImage();
    Path task = Files.writeString(dir.resolve("task.yaml"), TASK);
    Path out = Files.createDirectory(dir.resolve("out"));
    // The container's user owns nothing on the host: let it write the output directory.
    Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));

    E2eCluster.Result result =
        E2eCluster.run(
            null,
            List.of(
                "docker",
                "run",
                "--rm",
                "--read-only",
                "--tmpfs",
                "/tmp",
                "--user",
                "65532:65532",
                "--network",
                "none",
                "--cap-drop",
                "ALL",
                "--security-opt",
                "no-new-privileges",
                "-v",
                task + ":/task/task.yaml:ro",
                "-v",
                E2eCluster.subset() + ":/data:ro",
                "-v",
                out + ":/out",
                image,
                "run",
                "/task/task.yaml",
                "--output",
                "/out",
                "--volume",
                "fashion-mnist=/data"));

    assertThat(result.exitCode()).as(result.output()).isZero();
    assertThat(out.resolve("synthetic.npz")).isNotEmptyFile();
    assertThat(out.resolve("report.html")).isNotEmptyFile();
    JsonNode evaluation = TestManifests.YAML.readTree(out.resolve("evaluation.json").toFile());
    // Ten classes: chance is 0.1; two distilled images per class do better than that.
    assertThat(evaluation.path("synthetic").path("mean").asDouble(-1)).isGreaterThan(0.15);
    JsonNode manifest = TestManifests.YAML.readTree(out.resolve("manifest.json").toFile());
    assertThat(manifest.findValuesAsText("device")).isNotEmpty().containsOnly("cpu");
  }

  @Test
  void theImageRunsAsNonRootByDefault() {
    E2eCluster.Result user =
        E2eCluster.run(
            null,
            List.of(
                "docker",
                "image",
                "inspect",
                "-f",
                "{{.Config.User}}",
                E2eCluster.chartWorkerImage()));
    assertThat(user.exitCode()).as(user.output()).isZero();
    assertThat(user.output().trim()).isEqualTo("65532:65532");
  }
}
