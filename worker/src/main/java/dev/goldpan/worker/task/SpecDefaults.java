package dev.goldpan.worker.task;

import dev.goldpan.api.v1alpha1.Algorithm;
import dev.goldpan.api.v1alpha1.Augmentation;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.api.v1alpha1.DistillationSpec;
import dev.goldpan.api.v1alpha1.SyntheticInit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The defaults that depend on the algorithm, resolved once when a task is read, so that every stage
 * reads the same values and manifest.json records them. They are the reference code's (Zhao et al.,
 * DatasetCondensation: {@code main.py} for dc and dsa, {@code main_DM.py} for dm):
 *
 * <ul>
 *   <li>iterations: 1,000 for dc and dsa, 20,000 for dm;
 *   <li>synthetic learning rate: 0.1 for dc and dsa, 1.0 for dm;
 *   <li>augmentation, in distillation and evaluation alike: none for dc, DSA for dsa and dm;
 *   <li>synthetic initialisation: noise for dc ({@code main.py}'s default), real images for dsa
 *       (the README's commands) and dm;
 *   <li>evaluation epochs: 300 without augmentation, 1,000 with it ("training with data
 *       augmentation needs more epochs", {@code main.py}).
 * </ul>
 */
public final class SpecDefaults {

  private SpecDefaults() {}

  /**
   * Fills the unset algorithm-dependent fields of {@code spec} in place; returns what was filled,
   * by field path, in a stable order.
   */
  public static Map<String, Object> resolve(DistillationJobSpec spec) {
    Map<String, Object> filled = new LinkedHashMap<>();
    DistillationSpec distillation = spec.getDistillation();
    boolean gradientMatching = distillation.getAlgorithm() != Algorithm.DM;
    if (distillation.getIterations() == null) {
      distillation.setIterations(gradientMatching ? 1000 : 20000);
      filled.put("distillation.iterations", distillation.getIterations());
    }
    if (distillation.getLearningRate() == null) {
      distillation.setLearningRate(gradientMatching ? 0.1 : 1.0);
      filled.put("distillation.learningRate", distillation.getLearningRate());
    }
    if (distillation.getAugmentation() == null) {
      distillation.setAugmentation(
          distillation.getAlgorithm() == Algorithm.DC ? Augmentation.NONE : Augmentation.DSA);
      filled.put("distillation.augmentation", distillation.getAugmentation().value());
    }
    if (distillation.getInit() == null) {
      distillation.setInit(
          distillation.getAlgorithm() == Algorithm.DC ? SyntheticInit.NOISE : SyntheticInit.REAL);
      filled.put("distillation.init", distillation.getInit().value());
    }
    if (spec.getEvaluation().getEpochs() == null) {
      spec.getEvaluation()
          .setEpochs(distillation.getAugmentation() == Augmentation.NONE ? 300 : 1000);
      filled.put("evaluation.epochs", spec.getEvaluation().getEpochs());
    }
    return filled;
  }
}
