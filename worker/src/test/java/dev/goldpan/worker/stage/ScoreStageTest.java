package dev.goldpan.worker.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.engine.ClassifierTraining;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoreStageTest {

  private static final int TRAIN = 60;
  private static final int TRAINED_EPOCHS = 10;

  /** Train samples whose labels name the next class: no block-position rule explains them. */
  private static final Set<Integer> MISLABELED = Set.of(4, 17, 30, 51);

  @TempDir Path directory;

  private int runs;

  /** Runs score stage member {@code index} in a fresh output directory and reads its scores. */
  private float[] score(Path data, int index, Map<String, Object> overrides) {
    Path output = directory.resolve("out-" + runs++);
    Path manifest =
        TinyJobs.writeManifest(directory.resolve("job-" + runs + ".yaml"), data, output, overrides);
    ScoreStage.ScoreResult result = new ScoreStage(TinyJobs.context(manifest, output)).run(index);
    assertThat(result.index()).isEqualTo(index);
    assertThat(result.file()).isEqualTo("scores-" + index + ".npy");
    float[] scores = Npy.readFloats(output.resolve(result.file()));
    assertThat(result.samples()).isEqualTo(scores.length);
    return scores;
  }

  private static Map<String, Object> scoring(String criterion, int epochs, int initEpochs) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("spec.selection.static.criterion", criterion);
    settings.put("spec.selection.static.scoring.epochs", epochs);
    settings.put("spec.selection.static.scoring.initEpochs", initEpochs);
    return settings;
  }

  private static double mean(float[] values) {
    double sum = 0;
    for (float value : values) {
      sum += value;
    }
    return sum / values.length;
  }

  @Test
  void lossInitIsTheLossOfTheUntrainedScorerInTheFirstEpoch() {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), TRAIN, 6);

    float[] lossInit = score(data, 0, scoring("loss-init", 2, 1));
    float[] converged = score(data, 0, scoring("loss-converge", TRAINED_EPOCHS, 1));
    // All 60 samples fit one batch, so the first epoch's forward pass sees the scorer before any
    // update: the network member 0's generator initialises, evaluated in batches of 7.
    float[] untrained = untrainedLosses(data, 0);

    assertThat(lossInit).hasSize(TRAIN);
    for (int i = 0; i < TRAIN; i++) {
      assertThat(lossInit[i]).as("sample %d", i).isCloseTo(untrained[i], within(1e-4f));
    }
    assertThat(lossInit).isNotEqualTo(converged);
    assertThat(mean(lossInit)).isGreaterThan(mean(converged) + 0.2);
  }

  /** Each train sample's loss under the scorer that ensemble member {@code index} starts from. */
  private float[] untrainedLosses(Path data, int index) {
    Path output = directory.resolve("untrained");
    Path manifest =
        TinyJobs.writeManifest(directory.resolve("untrained.yaml"), data, output, Map.of());
    StageContext context = TinyJobs.context(manifest, output);
    ImageSet train = context.data().train();
    context.random("score", index);
    try (NDManager manager = NDManager.newBaseManager(StageContext.device())) {
      Network scorer =
          Networks.create(
              manager,
              context.spec().getModel(),
              new NetworkShape(
                  train.channels(), train.height(), train.width(), context.data().classes()),
              true);
      return ClassifierTraining.losses(manager, scorer, train, 7);
    }
  }

  @Test
  void lossInitAveragesOnlyTheFirstEpochs() {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), TRAIN, 6);

    float[] shortRun = score(data, 0, scoring("loss-init", 2, 1));
    float[] longRun = score(data, 0, scoring("loss-init", 5, 1));
    float[] twoEpochs = score(data, 0, scoring("loss-init", 5, 2));

    assertThat(longRun).containsExactly(shortRun);
    // The second epoch follows one update, which lowers the loss on average.
    assertThat(mean(twoEpochs)).isLessThan(mean(shortRun));
  }

  @Test
  void mislabeledSamplesScoreTheHighestLossesAfterTraining() {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), TRAIN, 6, MISLABELED);

    float[] scores = score(data, 0, scoring("loss-converge", TRAINED_EPOCHS, 1));

    float[] sorted = scores.clone();
    Arrays.sort(sorted);
    float median = (sorted[TRAIN / 2 - 1] + sorted[TRAIN / 2]) / 2;
    for (int sample : MISLABELED) {
      assertThat(scores[sample]).as("loss of mislabeled sample %d", sample).isGreaterThan(median);
    }
    Integer[] byLoss = new Integer[TRAIN];
    for (int i = 0; i < TRAIN; i++) {
      byLoss[i] = i;
    }
    Arrays.sort(byLoss, (a, b) -> Float.compare(scores[b], scores[a]));
    assertThat(Arrays.copyOf(byLoss, MISLABELED.size()))
        .containsExactlyInAnyOrderElementsOf(MISLABELED);
  }

  @Test
  void randomScoresDependOnlyOnTheSeed() {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), TRAIN, 6);
    Map<String, Object> seven = scoring("random", 2, 1);
    Map<String, Object> eight = new HashMap<>(seven);
    eight.put("spec.seed", 8);
    Map<String, Object> twoMembers = new HashMap<>(seven);
    twoMembers.put("spec.selection.static.scoring.ensemble", 2);

    float[] first = score(data, 0, seven);
    float[] again = score(data, 0, seven);
    float[] otherSeed = score(data, 0, eight);
    float[] otherMember = score(data, 1, twoMembers);

    assertThat(first).hasSize(TRAIN).containsExactly(again);
    assertThat(first).isNotEqualTo(otherSeed);
    assertThat(first).isNotEqualTo(otherMember);
    for (float value : first) {
      assertThat(value).isBetween(0f, 1f);
    }
    assertThat(Arrays.stream(boxed(first)).distinct().count()).isEqualTo(TRAIN);
  }

  private static Float[] boxed(float[] values) {
    Float[] boxed = new Float[values.length];
    for (int i = 0; i < values.length; i++) {
      boxed[i] = values[i];
    }
    return boxed;
  }

  @Test
  void rejectsAnIndexOutsideTheEnsemble() {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), TRAIN, 6);
    Map<String, Object> settings = scoring("random", 2, 1);
    settings.put("spec.selection.static.scoring.ensemble", 2);

    assertThatThrownBy(() -> score(data, 2, settings))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("--index 2")
        .hasMessageContaining("spec.selection.static.scoring.ensemble = 2");
    assertThatThrownBy(() -> score(data, -1, settings))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("--index -1");
  }

  @Test
  void refusesToScorePrecomputedSelection() {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), TRAIN, 6);

    Map<String, Object> precomputed = scoring("precomputed", 2, 1);
    precomputed.put("spec.selection.static.scoresSource", "file:///scores.npy");

    assertThatThrownBy(() -> score(data, 0, precomputed))
        .isInstanceOf(InvalidInputException.class)
        .hasMessageContaining("spec.selection.static.criterion is precomputed");
  }

  @Test
  void recordsTheCriterion() {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), TRAIN, 6);
    Path output = directory.resolve("out");
    Path manifest =
        TinyJobs.writeManifest(
            directory.resolve("job.yaml"), data, output, scoring("random", 2, 1));

    ScoreStage.ScoreResult result = new ScoreStage(TinyJobs.context(manifest, output)).run(0);

    assertThat(result.criterion()).isEqualTo(StaticCriterion.RANDOM);
    assertThat(result.samples()).isEqualTo(TRAIN);
  }
}
