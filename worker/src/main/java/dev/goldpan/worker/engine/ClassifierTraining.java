package dev.goldpan.worker.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.progress.Progress;
import java.util.Random;

/**
 * Supervised training of a classifier with per-sample cross-entropy, as the scoring and the
 * evaluation of the reference method do it: SGD (lr 0.01, momentum 0.9, weight decay 5e-4), batch
 * 256, optionally DSA augmentation per image and a 10x learning-rate drop at half the epochs.
 */
public final class ClassifierTraining {

  /** How to train. {@code augmentation} may be null (no augmentation). */
  public record Settings(
      int epochs,
      int batchSize,
      float learningRate,
      float momentum,
      float weightDecay,
      boolean decayAtHalf,
      DsaAugmentation augmentation) {

    /** The reference settings for {@code epochs} epochs. */
    public static Settings reference(
        int epochs, DsaAugmentation augmentation, boolean decayAtHalf) {
      return new Settings(epochs, 256, 0.01f, 0.9f, 5e-4f, decayAtHalf, augmentation);
    }
  }

  /** Steps between two reads of the loss for progress (a read waits for the device). */
  private static final int LOSS_READ_EVERY = 25;

  private ClassifierTraining() {}

  /**
   * Trains {@code network} on {@code data} and returns each sample's cross-entropy averaged over
   * the first {@code recordEpochs} epochs, taken from the training forward passes themselves (the
   * loss-init score); all zeros when {@code recordEpochs} is 0.
   */
  public static float[] train(
      NDManager manager,
      Network network,
      ImageSet data,
      Settings settings,
      Random random,
      int recordEpochs,
      Progress progress) {
    return train(
        manager,
        network,
        data,
        settings,
        optimiser(network, settings),
        random,
        recordEpochs,
        progress);
  }

  /**
   * The optimiser {@link #train} uses for {@code settings}: SGD on {@code network}'s parameters.
   */
  public static Sgd optimiser(Network network, Settings settings) {
    return new Sgd(
        network.parameters(), settings.learningRate(), settings.momentum(), settings.weightDecay());
  }

  /**
   * As {@link #train(NDManager, Network, ImageSet, Settings, Random, int, Progress)}, stepping
   * {@code sgd} (from {@link #optimiser}), whose momentum carries over from earlier calls and into
   * later ones: a data set trained on in chunks, one call per chunk, trains with one optimiser as
   * the reference's does over the whole set.
   */
  public static float[] train(
      NDManager manager,
      Network network,
      ImageSet data,
      Settings settings,
      Sgd sgd,
      Random random,
      int recordEpochs,
      Progress progress) {
    float[] recorded = new float[data.size()];
    int[] order = Batches.identity(data.size());
    long batchesPerEpoch = (data.size() + settings.batchSize() - 1) / settings.batchSize();
    // The reference's evaluate_synset: Epoch + 1 epochs; after epoch Epoch // 2 + 1 the learning
    // rate drops 10x and the optimiser is rebuilt, which forgets the momentum.
    int epochs = settings.decayAtHalf() ? settings.epochs() + 1 : settings.epochs();
    int decayFrom = settings.epochs() / 2 + 2;
    long totalSteps = batchesPerEpoch * epochs;
    long step = 0;
    double loss = Double.NaN;
    for (int epoch = 0; epoch < epochs; epoch++) {
      if (settings.decayAtHalf() && epoch == decayFrom) {
        sgd.setLearningRate(settings.learningRate() * 0.1f);
        sgd.resetMomentum();
      }
      Batches.shuffle(order, random);
      boolean record = epoch < recordEpochs;
      for (int from = 0; from < data.size(); from += settings.batchSize()) {
        int to = Math.min(data.size(), from + settings.batchSize());
        step++;
        try (NDScope scope = new NDScope()) {
          NDArray images = Batches.images(manager, data, order, from, to);
          NDArray labels = Batches.labels(manager, data, order, from, to);
          if (settings.augmentation() != null) {
            images =
                settings
                    .augmentation()
                    .apply(settings.augmentation().sample(random, to - from), images);
          }
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray perSample = lossAndGradients(collector, network, images, labels);
            NDArray mean = perSample.mean();
            if (step % LOSS_READ_EVERY == 0 || step == totalSteps) {
              loss = mean.getFloat();
            }
            if (record) {
              float[] values = perSample.toFloatArray();
              for (int i = from; i < to; i++) {
                recorded[order[i]] += values[i - from];
              }
            }
          }
          sgd.step();
        }
        progress.report(step, totalSteps, loss);
      }
    }
    if (recordEpochs > 0) {
      for (int i = 0; i < recorded.length; i++) {
        recorded[i] /= Math.min(recordEpochs, settings.epochs());
      }
    }
    return recorded;
  }

  /**
   * Each sample's cross-entropy, with the gradients of their mean accumulated into the parameters:
   * over passes of {@link Network#rowsPerPass()} images when the batch is larger, each adding its
   * share (its loss sum over the batch size), which is the same gradient as one pass.
   */
  private static NDArray lossAndGradients(
      GradientCollector collector, Network network, NDArray images, NDArray labels) {
    long rows = images.getShape().get(0);
    int perPass = network.rowsPerPass();
    if (rows <= perPass) {
      NDArray perSample = crossEntropy(network.logits(images), labels);
      collector.backward(perSample.mean());
      return perSample;
    }
    return Batches.inPasses(
        Math.toIntExact(rows),
        perPass,
        (from, to) -> {
          String range = from + ":" + to;
          NDArray part = crossEntropy(network.logits(images.get(range)), labels.get(range));
          collector.backward(part.sum().div(rows));
          return part;
        });
  }

  /** Each sample's cross-entropy under {@code network}, without recording gradients. */
  public static float[] losses(NDManager manager, Network network, ImageSet data, int batchSize) {
    float[] losses = new float[data.size()];
    inOrder(
        manager,
        network,
        data,
        batchSize,
        (from, images, labels) -> {
          float[] values = crossEntropy(network.logits(images), labels).toFloatArray();
          System.arraycopy(values, 0, losses, from, values.length);
        });
    return losses;
  }

  /** Fraction of {@code data} that {@code network} classifies correctly. */
  public static double accuracy(NDManager manager, Network network, ImageSet data, int batchSize) {
    long[] correct = {0};
    inOrder(
        manager,
        network,
        data,
        batchSize,
        (from, images, labels) ->
            correct[0] += network.logits(images).argMax(1).eq(labels).sum().getLong());
    return data.size() == 0 ? 0 : (double) correct[0] / data.size();
  }

  /** Receives one batch: its first index, its images and its int64 labels. */
  private interface BatchConsumer {
    void accept(int from, NDArray images, NDArray labels);
  }

  /**
   * {@code data} in order, in batches of at most {@code batchSize} images and {@code network}'s
   * {@link Network#rowsPerPass()}, each inside its own scope.
   */
  private static void inOrder(
      NDManager manager, Network network, ImageSet data, int maxBatch, BatchConsumer consumer) {
    int batchSize = Math.min(maxBatch, network.rowsPerPass());
    int[] order = Batches.identity(data.size());
    for (int from = 0; from < data.size(); from += batchSize) {
      int to = Math.min(data.size(), from + batchSize);
      try (NDScope scope = new NDScope()) {
        consumer.accept(
            from,
            Batches.images(manager, data, order, from, to),
            Batches.labels(manager, data, order, from, to));
      }
    }
  }

  /** Per-sample cross-entropy of {@code logits} [N, K] against int64 {@code labels} [N]. */
  static NDArray crossEntropy(NDArray logits, NDArray labels) {
    long n = logits.getShape().get(0);
    return logits.logSoftmax(1).gather(labels.reshape(n, 1), 1).neg().reshape(n);
  }
}
