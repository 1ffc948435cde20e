package dev.goldpan.worker.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.progress.Progress;
import dev.goldpan.worker.task.Locations;
import dev.goldpan.worker.task.WorkerTask;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evaluation split over several pods (spec.evaluation.parallelism): each shard trains its networks
 * and writes its part; the last one merges the parts into the same evaluation.json that one pod
 * writes.
 */
class EvaluateShardsTest {

  private static final int MODELS = 3;

  @TempDir Path directory;

  private StageContext context(String name, int parallelism, Progress progress) {
    Path data = directory.resolve("data");
    if (!Files.isDirectory(data)) {
      TinyJobs.writeDataSet(data, 60, 30);
    }
    Path output = directory.resolve(name);
    Path manifest =
        TinyJobs.writeManifest(
            directory.resolve(name + ".yaml"),
            data,
            output,
            Map.of(
                "spec.selection.static.criterion",
                "random",
                "spec.evaluation.models",
                MODELS,
                "spec.evaluation.parallelism",
                parallelism));
    return new StageContext(
        WorkerTask.read(manifest),
        new Workspace(output),
        new Locations(Map.of(), Locations.DEFAULT_VOLUME_ROOT),
        stage -> progress);
  }

  @Test
  void shardsMergeIntoTheEvaluationOfOnePod() throws IOException {
    StageContext single = context("single", 1, Progress.NONE);
    new ScoreStage(single).run(0);
    new DistillStage(single).run(0);
    StageContext sharded = context("sharded", 2, Progress.NONE);
    Files.copy(
        single.workspace().file(DistillStage.SYNTHETIC),
        sharded.workspace().file(DistillStage.SYNTHETIC));

    EvaluateStage.EvalResult whole = new EvaluateStage(single).run(0);
    EvaluateStage.EvalResult second = new EvaluateStage(sharded).run(1);

    assertThat(second.complete()).isFalse();
    assertThat(second.pendingShards()).isEqualTo(1);
    assertThat(second.synthetic().accuracies())
        .as("shard 1 trains network 1 only")
        .containsExactly(whole.synthetic().accuracies()[1]);
    assertThat(sharded.workspace().exists(EvaluateStage.EVALUATION)).isFalse();

    EvaluateStage.EvalResult first = new EvaluateStage(sharded).run(0);

    assertThat(first.complete()).isTrue();
    assertThat(first.synthetic().accuracies()).containsExactly(whole.synthetic().accuracies());
    assertThat(first.baselines().get("random-real").accuracies())
        .containsExactly(whole.baselines().get("random-real").accuracies());
    JsonNode merged = sharded.workspace().readJson(EvaluateStage.EVALUATION);
    assertThat(merged).isEqualTo(single.workspace().readJson(EvaluateStage.EVALUATION));
    assertThat(merged.path("synthetic").path("accuracies").size()).isEqualTo(MODELS);
  }

  @Test
  void aShardWhosePartIsThereTrainsNothingAndStillMerges() throws IOException {
    StageContext first = context("resumed", 2, Progress.NONE);
    new ScoreStage(first).run(0);
    new DistillStage(first).run(0);
    new EvaluateStage(first).run(0);
    new EvaluateStage(first).run(1);
    Files.delete(first.workspace().file(EvaluateStage.EVALUATION));

    Progress trainingFails =
        (step, total, loss) -> {
          throw new AssertionError("trained again at step " + step);
        };
    EvaluateStage.EvalResult again = new EvaluateStage(context("resumed", 2, trainingFails)).run(1);

    assertThat(again.complete()).isTrue();
    assertThat(again.synthetic().accuracies()).hasSize(MODELS);
    assertThat(first.workspace().exists(EvaluateStage.EVALUATION)).isTrue();
  }

  @Test
  void anIndexOutsideTheShardsIsInvalidInput() {
    StageContext context = context("outside", 2, Progress.NONE);

    assertThatThrownBy(() -> new EvaluateStage(context).run(2))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("spec.evaluation.parallelism = 2");
  }
}
