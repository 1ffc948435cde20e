package dev.goldpan.worker.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goldpan.api.v1alpha1.StaticCriterion;
import dev.goldpan.worker.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WorkerTaskTest {

  @TempDir Path directory;

  private Path manifest(String specExtra) throws IOException {
    Path file = directory.resolve("job.yaml");
    Files.writeString(
        file,
        "apiVersion: goldpan.dev/v1alpha1\n"
            + "kind: DistillationJob\n"
            + "metadata: {name: checked}\n"
            + "spec:\n"
            + "  dataset: {format: idx, source: 'file:///data'}\n"
            + "  output: {location: 'file:///out'}\n"
            + specExtra);
    return file;
  }

  @Test
  void readsTheManifestWithDefaults() throws IOException {
    WorkerTask task = WorkerTask.read(manifest(""));

    assertThat(task.name()).isEqualTo("checked");
    assertThat(task.spec().getSelection().getStaticSelection().getCriterion())
        .isEqualTo(StaticCriterion.LOSS_CONVERGE);
    assertThat(task.spec().getDistillation().getIterations()).isEqualTo(20000);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      ignoreLeadingAndTrailingWhitespace = false,
      value = {
        "  selection: {static: {keepRatio: 0}}|spec.selection.static.keepRatio",
        "  selection: {causal: {keepRatio: 1.5}}|spec.selection.causal.keepRatio",
        "  selection: {static: {scoring: {epochs: 0}}}|spec.selection.static.scoring.epochs",
        "  selection: {static: {scoring: {epochs: 2, initEpochs: 3}}}|initEpochs must not exceed",
        "  selection: {static: {criterion: precomputed}}|spec.selection.static.scoresSource",
        "  selection: {auto: {pilotIterations: 0}}|spec.selection.auto.pilotIterations",
        "  distillation: {learningRate: 0}|spec.distillation.learningRate",
        "  distillation: {imagesPerClass: 0}|spec.distillation.imagesPerClass",
        "  model: {width: 0}|spec.model.width",
        "  model: {architecture: mlp}\\n  distillation: {algorithm: dsa}|requires spec.model.architecture convnet",
        "  evaluation: {models: 0}|spec.evaluation.models",
        "  evaluation: {parallelism: 0}|spec.evaluation.parallelism",
        "  evaluation: {models: 2, parallelism: 3}|spec.evaluation.parallelism must not exceed",
        "  seed: -1|spec.seed",
      })
  void outOfRangeValuesAreRefusedNamingTheField(String spec, String expected) throws IOException {
    Path file = manifest(spec.replace("\\n", "\n") + "\n");

    assertThatThrownBy(() -> WorkerTask.read(file))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(expected);
  }
}
