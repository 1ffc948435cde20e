package dev.goldpan.worker.task;

import dev.goldpan.api.v1alpha1.Algorithm;
import dev.goldpan.api.v1alpha1.Architecture;
import dev.goldpan.api.v1alpha1.Augmentation;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import dev.goldpan.worker.InvalidInputException;
import java.nio.file.Path;

/**
 * The ranges the CRD enforces, checked again for manifests that never pass an API server (a local
 * {@code run}): a bad value is refused with its field named rather than turned into NaN scores.
 */
final class SpecChecks {

  private final Path file;

  private SpecChecks(Path file) {
    this.file = file;
  }

  static void check(DistillationJobSpec spec, Path file) {
    new SpecChecks(file).checkAll(spec);
  }

  private void checkAll(DistillationJobSpec spec) {
    require(spec.getDataset() != null, "spec.dataset is required");
    require(spec.getDataset().getFormat() != null, "spec.dataset.format is required");
    require(spec.getDataset().getSource() != null, "spec.dataset.source is required");
    var model = spec.getModel();
    between(model.getDepth(), 1, 6, "spec.model.depth");
    between(model.getWidth(), 1, 1024, "spec.model.width");
    var selection = spec.getSelection().getStaticSelection();
    ratio(selection.getKeepRatio(), "spec.selection.static.keepRatio");
    atLeastOne(selection.getScoring().getEpochs(), "spec.selection.static.scoring.epochs");
    atLeastOne(selection.getScoring().getInitEpochs(), "spec.selection.static.scoring.initEpochs");
    atLeastOne(selection.getScoring().getEnsemble(), "spec.selection.static.scoring.ensemble");
    require(
        selection.getScoring().getInitEpochs() <= selection.getScoring().getEpochs(),
        "spec.selection.static.scoring.initEpochs must not exceed epochs");
    require(
        selection.getCriterion() != StaticCriterion.PRECOMPUTED
            || selection.getScoresSource() != null,
        "spec.selection.static.scoresSource is required for criterion precomputed");
    var causal = spec.getSelection().getCausal();
    ratio(causal.getKeepRatio(), "spec.selection.causal.keepRatio");
    atLeastOne(causal.getRefreshInterval(), "spec.selection.causal.refreshInterval");
    between(causal.getNetworks(), 1, 16, "spec.selection.causal.networks");
    var auto = spec.getSelection().getAuto();
    ratio(auto.getBudget(), "spec.selection.auto.budget");
    if (auto.getPilotIterations() != null) {
      atLeastOne(auto.getPilotIterations(), "spec.selection.auto.pilotIterations");
    }
    var distillation = spec.getDistillation();
    atLeastOne(distillation.getImagesPerClass(), "spec.distillation.imagesPerClass");
    atLeastOne(distillation.getIterations(), "spec.distillation.iterations");
    atLeastOne(distillation.getBatchReal(), "spec.distillation.batchReal");
    atLeastOne(distillation.getParallelism(), "spec.distillation.parallelism");
    atLeastOne(distillation.getCheckpointInterval(), "spec.distillation.checkpointInterval");
    require(
        distillation.getLearningRate() > 0,
        "spec.distillation.learningRate must be positive, got " + distillation.getLearningRate());
    require(
        distillation.getAlgorithm() != Algorithm.DC
            || distillation.getAugmentation() == Augmentation.NONE,
        "spec.distillation.augmentation dsa contradicts algorithm dc (gradient matching without"
            + " augmentation); use algorithm dsa");
    require(
        distillation.getAlgorithm() != Algorithm.DSA
            || distillation.getAugmentation() == Augmentation.DSA,
        "spec.distillation.augmentation none contradicts algorithm dsa; use algorithm dc");
    require(
        distillation.getAlgorithm() == Algorithm.DM
            || model.getArchitecture() == Architecture.CONVNET,
        "spec.distillation.algorithm "
            + distillation.getAlgorithm()
            + " requires spec.model.architecture convnet");
    atLeastOne(spec.getEvaluation().getModels(), "spec.evaluation.models");
    atLeastOne(spec.getEvaluation().getEpochs(), "spec.evaluation.epochs");
    atLeastOne(spec.getEvaluation().getParallelism(), "spec.evaluation.parallelism");
    require(
        spec.getEvaluation().getParallelism() <= spec.getEvaluation().getModels(),
        "spec.evaluation.parallelism must not exceed models (one network per pod at most)");
    require(spec.getSeed() >= 0, "spec.seed must not be negative, got " + spec.getSeed());
  }

  private void require(boolean holds, String message) {
    if (!holds) {
      throw new InvalidInputException("task file " + file + ": " + message);
    }
  }

  private void ratio(double value, String field) {
    require(value > 0 && value <= 1, field + " must be in (0, 1], got " + value);
  }

  private void atLeastOne(int value, String field) {
    require(value >= 1, field + " must be at least 1, got " + value);
  }

  private void between(int value, int low, int high, String field) {
    require(
        value >= low && value <= high,
        field + " must be in [" + low + ", " + high + "], got " + value);
  }
}
