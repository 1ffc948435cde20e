package dev.goldpan.worker.stage;

import ai.djl.ndarray.NDManager;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import dev.goldpan.api.v1alpha1.StaticSelectionSpec;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.engine.ClassifierTraining;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import java.util.Random;

/**
 * Level-1 scoring (DESIGN §3 step 1): one ensemble member per index. Trains a scorer on the real
 * set and writes each sample's score to {@code scores-<index>.npy}:
 *
 * <ul>
 *   <li>loss-init: the sample's cross-entropy averaged over the first initEpochs epochs, taken from
 *       the training forward passes;
 *   <li>loss-converge: its cross-entropy after the last epoch;
 *   <li>random: seeded uniform scores (no training).
 * </ul>
 */
public final class ScoreStage {

  /** What one ensemble member produced. */
  public record ScoreResult(int index, StaticCriterion criterion, int samples, String file) {}

  private final StageContext context;

  public ScoreStage(StageContext context) {
    this.context = context;
  }

  public static String fileName(int index) {
    return "scores-" + index + ".npy";
  }

  public ScoreResult run(int index) {
    StaticSelectionSpec selection = context.spec().getSelection().getStaticSelection();
    int ensemble = selection.getScoring().getEnsemble();
    if (index < 0 || index >= ensemble) {
      throw new InvalidInputException(
          "--index "
              + index
              + " is outside the ensemble of spec.selection.static.scoring.ensemble = "
              + ensemble);
    }
    StaticCriterion criterion = selection.getCriterion();
    if (criterion == StaticCriterion.PRECOMPUTED) {
      throw new InvalidInputException(
          "spec.selection.static.criterion is precomputed: scores come from scoresSource, there is nothing to score");
    }
    PreparedData data = context.data();
    Random random = context.random("score", index);
    float[] scores =
        criterion == StaticCriterion.RANDOM
            ? randomScores(random, data.train().size())
            : trained(data, random, criterion);
    String file = fileName(index);
    Npy.write(context.workspace().file(file), NpyArray.float32(scores, scores.length));
    context.workspace().publish(file);
    return new ScoreResult(index, criterion, scores.length, file);
  }

  private static float[] randomScores(Random random, int count) {
    float[] scores = new float[count];
    for (int i = 0; i < count; i++) {
      scores[i] = random.nextFloat();
    }
    return scores;
  }

  private float[] trained(PreparedData data, Random random, StaticCriterion criterion) {
    var scoring = context.spec().getSelection().getStaticSelection().getScoring();
    NetworkShape shape =
        new NetworkShape(
            data.train().channels(), data.train().height(), data.train().width(), data.classes());
    try (NDManager manager = NDManager.newBaseManager(StageContext.device())) {
      Network scorer = Networks.create(manager, context.spec().getModel(), shape, true);
      int recordEpochs = criterion == StaticCriterion.LOSS_INIT ? scoring.getInitEpochs() : 0;
      float[] initLoss =
          ClassifierTraining.train(
              manager,
              scorer,
              data.train(),
              ClassifierTraining.Settings.reference(scoring.getEpochs(), null, false),
              random,
              recordEpochs,
              context.progress("score"));
      if (criterion == StaticCriterion.LOSS_INIT) {
        return initLoss;
      }
      return ClassifierTraining.losses(manager, scorer, data.train(), 512);
    }
  }
}
