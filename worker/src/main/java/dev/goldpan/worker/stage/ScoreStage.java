package dev.goldpan.worker.stage;

import ai.djl.ndarray.NDManager;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import dev.goldpan.api.v1alpha1.StaticSelectionSpec;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.Split;
import dev.goldpan.worker.engine.ClassifierTraining;
import dev.goldpan.worker.engine.Sgd;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import dev.goldpan.worker.progress.Progress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

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
            ? randomScores(random, data.size(Split.TRAIN))
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

  /**
   * Trains the scorer and scores every sample. A train split that fits in one chunk is trained on
   * whole, shuffled each epoch. A larger one is streamed: each epoch visits its chunks in random
   * order and trains on each for one pass, shuffled within the chunk, with one optimiser throughout
   * (its momentum carries from chunk to chunk, as over the whole set); then the samples are scored
   * chunk by chunk.
   */
  private float[] trained(PreparedData data, Random random, StaticCriterion criterion) {
    var scoring = context.spec().getSelection().getStaticSelection().getScoring();
    NetworkShape shape =
        new NetworkShape(
            data.dataset().channels(),
            data.dataset().height(),
            data.dataset().width(),
            data.classes());
    int size = data.size(Split.TRAIN);
    int recordEpochs = criterion == StaticCriterion.LOSS_INIT ? scoring.getInitEpochs() : 0;
    try (NDManager manager = NDManager.newBaseManager(StageContext.device())) {
      Network scorer = Networks.create(manager, context.spec().getModel(), shape, true);
      Progress progress = context.progress("score");
      float[] initLoss;
      if (size <= data.chunkImages()) {
        initLoss =
            ClassifierTraining.train(
                manager,
                scorer,
                data.train(),
                ClassifierTraining.Settings.reference(scoring.getEpochs(), null, false),
                random,
                recordEpochs,
                progress);
      } else {
        initLoss = trainInChunks(manager, scorer, data, random, recordEpochs, progress);
      }
      if (criterion == StaticCriterion.LOSS_INIT) {
        return initLoss;
      }
      float[] losses = new float[size];
      data.forEachChunk(
          Split.TRAIN,
          (from, chunk) -> {
            float[] chunkLosses = ClassifierTraining.losses(manager, scorer, chunk, 512);
            System.arraycopy(chunkLosses, 0, losses, from, chunkLosses.length);
          });
      return losses;
    }
  }

  private float[] trainInChunks(
      NDManager manager,
      Network scorer,
      PreparedData data,
      Random random,
      int recordEpochs,
      Progress progress) {
    int epochs = context.spec().getSelection().getStaticSelection().getScoring().getEpochs();
    int size = data.size(Split.TRAIN);
    int chunk = data.chunkImages();
    int chunks = (size + chunk - 1) / chunk;
    long stepsPerEpoch = 0;
    for (int c = 0; c < chunks; c++) {
      stepsPerEpoch += (Math.min(size, (c + 1) * chunk) - c * chunk + 255) / 256;
    }
    long totalSteps = stepsPerEpoch * epochs;
    float[] recorded = new float[size];
    List<Integer> order = new ArrayList<>(IntStream.range(0, chunks).boxed().toList());
    ClassifierTraining.Settings settings = ClassifierTraining.Settings.reference(1, null, false);
    Sgd sgd = ClassifierTraining.optimiser(scorer, settings);
    long done = 0;
    for (int epoch = 0; epoch < epochs; epoch++) {
      Collections.shuffle(order, random);
      boolean record = epoch < recordEpochs;
      for (int c : order) {
        int from = c * chunk;
        ImageSet part = data.chunk(Split.TRAIN, from, Math.min(size, from + chunk));
        long offset = done;
        float[] losses =
            ClassifierTraining.train(
                manager,
                scorer,
                part,
                settings,
                sgd,
                random,
                record ? 1 : 0,
                (step, total, loss) -> progress.report(offset + step, totalSteps, loss));
        if (record) {
          for (int i = 0; i < losses.length; i++) {
            recorded[from + i] += losses[i];
          }
        }
        done += (part.size() + 255) / 256;
      }
    }
    if (recordEpochs > 0) {
      for (int i = 0; i < size; i++) {
        recorded[i] /= Math.min(recordEpochs, epochs);
      }
    }
    return recorded;
  }
}
