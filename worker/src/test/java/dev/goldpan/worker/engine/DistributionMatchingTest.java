package dev.goldpan.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.goldpan.api.v1alpha1.Architecture;
import dev.goldpan.api.v1alpha1.ModelSpec;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DistributionMatchingTest {

  private static final int CLASSES = 2;
  private static final int PER_CLASS = 3;
  private static final int IMAGES_PER_CLASS = 2;

  /** 2 classes x 3 real images of 1x8x8, class-major, with distinct per-class brightness. */
  private static ImageSet realSet(Random random) {
    float[] pixels = new float[CLASSES * PER_CLASS * 64];
    int[] labels = new int[CLASSES * PER_CLASS];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i / PER_CLASS;
      for (int p = 0; p < 64; p++) {
        pixels[i * 64 + p] = (float) (random.nextGaussian() + 2 * labels[i]);
      }
    }
    return new ImageSet(pixels, labels, 1, 8, 8);
  }

  private static ImageSet noise(Random random, int count) {
    float[] pixels = new float[count * 64];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextGaussian();
    }
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = i / (count / CLASSES);
    }
    return new ImageSet(pixels, labels, 1, 8, 8);
  }

  /** DM of {@code syn} against all of {@code real}, seed 5; {@code augmentation} may be null. */
  private static DistributionMatching matching(
      NDManager manager,
      ModelSpec model,
      ImageSet real,
      ImageSet syn,
      DsaAugmentation augmentation) {
    return new DistributionMatching(
        manager,
        model,
        TestPools.asIs(manager, real),
        syn,
        allPools(),
        augmentation,
        PER_CLASS,
        1f,
        5L,
        new int[] {0, 1});
  }

  private static int[][] allPools() {
    int[][] pools = new int[CLASSES][PER_CLASS];
    for (int c = 0; c < CLASSES; c++) {
      for (int i = 0; i < PER_CLASS; i++) {
        pools[c][i] = c * PER_CLASS + i;
      }
    }
    return pools;
  }

  private static ModelSpec model(Architecture architecture, int depth, int width) {
    ModelSpec model = new ModelSpec();
    model.setArchitecture(architecture);
    model.setDepth(depth);
    model.setWidth(width);
    return model;
  }

  /** sum_c || mean real embedding - mean synthetic embedding ||^2, one image at a time. */
  private static double directLoss(
      Network network, NDManager manager, ImageSet real, ImageSet syn) {
    double loss = 0;
    for (int c = 0; c < CLASSES; c++) {
      double[] realMean = meanEmbedding(network, manager, real, c * PER_CLASS, PER_CLASS);
      double[] synMean =
          meanEmbedding(network, manager, syn, c * IMAGES_PER_CLASS, IMAGES_PER_CLASS);
      for (int d = 0; d < realMean.length; d++) {
        loss += (realMean[d] - synMean[d]) * (realMean[d] - synMean[d]);
      }
    }
    return loss;
  }

  private static double[] meanEmbedding(
      Network network, NDManager manager, ImageSet set, int from, int count) {
    double[] mean = null;
    for (int i = from; i < from + count; i++) {
      float[] one = new float[64];
      System.arraycopy(set.pixels(), i * 64, one, 0, 64);
      float[] embedding = network.embed(manager.create(one, new Shape(1, 1, 8, 8))).toFloatArray();
      if (mean == null) {
        mean = new double[embedding.length];
      }
      for (int d = 0; d < embedding.length; d++) {
        mean[d] += embedding[d] / (double) count;
      }
    }
    return mean;
  }

  @Test
  void lossEqualsTheDirectComputation() {
    Random random = new Random(1);
    Engine.getInstance().setRandomSeed(1);
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageSet real = realSet(random);
      ImageSet syn = noise(random, CLASSES * IMAGES_PER_CLASS);
      ModelSpec model = model(Architecture.CONVNET, 2, 6);
      try (DistributionMatching dm = matching(manager, model, real, syn, null)) {
        Network network =
            Networks.create(manager, model, new NetworkShape(1, 8, 8, CLASSES), false);

        double batched =
            dm.loss(network, dm.drawRealBatch(random), dm.syntheticImages(), null).getFloat();

        assertThat(batched)
            .isCloseTo(directLoss(network, manager, real, syn), within(1e-4 * batched));
      }
    }
  }

  @Test
  void gradientOfALinearEmbeddingIsTheClosedForm() {
    Random random = new Random(2);
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageSet real = realSet(random);
      ImageSet syn = noise(random, CLASSES * IMAGES_PER_CLASS);
      // An MLP without hidden layers embeds an image as its pixels: psi(x) = x.
      ModelSpec model = model(Architecture.MLP, 0, 1);
      try (DistributionMatching dm = matching(manager, model, real, syn, null)) {
        Network identity =
            Networks.create(manager, model, new NetworkShape(1, 8, 8, CLASSES), false);
        NDArray synthetic = dm.syntheticImages();

        float[] gradient;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          collector.backward(dm.loss(identity, dm.drawRealBatch(random), synthetic, null));
        }
        gradient = synthetic.getGradient().toFloatArray();

        // dL/ds = -2/ipc * (mean real - mean synthetic) of the sample's class, per pixel.
        for (int c = 0; c < CLASSES; c++) {
          for (int p = 0; p < 64; p++) {
            double realMean = 0;
            for (int i = 0; i < PER_CLASS; i++) {
              realMean += real.pixels()[(c * PER_CLASS + i) * 64 + p] / (double) PER_CLASS;
            }
            double synMean = 0;
            for (int j = 0; j < IMAGES_PER_CLASS; j++) {
              synMean += syn.pixels()[(c * IMAGES_PER_CLASS + j) * 64 + p] / IMAGES_PER_CLASS;
            }
            double expected = -2.0 / IMAGES_PER_CLASS * (realMean - synMean);
            for (int j = 0; j < IMAGES_PER_CLASS; j++) {
              assertThat((double) gradient[(c * IMAGES_PER_CLASS + j) * 64 + p])
                  .isCloseTo(expected, within(1e-4));
            }
          }
        }
      }
    }
  }

  @Test
  void gradientThroughTheConvNetMatchesFiniteDifferences() {
    Random random = new Random(3);
    Engine.getInstance().setRandomSeed(3);
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageSet real = realSet(random);
      ImageSet syn = noise(random, CLASSES * IMAGES_PER_CLASS);
      ModelSpec model = model(Architecture.CONVNET, 1, 4);
      try (DistributionMatching dm = matching(manager, model, real, syn, null)) {
        Network network =
            Networks.create(manager, model, new NetworkShape(1, 8, 8, CLASSES), false);
        int[][] realBatch = dm.drawRealBatch(random);
        NDArray synthetic = dm.syntheticImages();
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          collector.backward(dm.loss(network, realBatch, synthetic, null));
        }
        float[] gradient = synthetic.getGradient().toFloatArray();

        JniUtils.setGradMode(false);
        float[] base = syn.pixels();
        // Small enough to stay off ReLU kinks, large enough for float32 loss values.
        double epsilon = 2e-3;
        for (int probe : new int[] {0, 17, 70, 130, 200, 255}) {
          float[] plus = base.clone();
          float[] minus = base.clone();
          plus[probe] += (float) epsilon;
          minus[probe] -= (float) epsilon;
          double lossPlus =
              dm.loss(network, realBatch, manager.create(plus, synthetic.getShape()), null)
                  .getFloat();
          double lossMinus =
              dm.loss(network, realBatch, manager.create(minus, synthetic.getShape()), null)
                  .getFloat();
          double numeric = (lossPlus - lossMinus) / (2 * epsilon);
          assertThat((double) gradient[probe])
              .as("pixel %d", probe)
              .isCloseTo(numeric, within(2e-3 + 2e-2 * Math.abs(numeric)));
        }
      }
    }
  }

  @Test
  void distillationReducesTheLoss() {
    Random random = new Random(4);
    Engine.getInstance().setRandomSeed(4);
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageSet real = realSet(random);
      ImageSet syn = noise(random, CLASSES * IMAGES_PER_CLASS);
      try (DistributionMatching dm =
          matching(
              manager, model(Architecture.CONVNET, 2, 8), real, syn, new DsaAugmentation(8, 8))) {
        double first = 0;
        double last = 0;
        for (int iteration = 0; iteration < 60; iteration++) {
          dm.step();
          float loss = dm.loss();
          if (iteration < 10) {
            first += loss;
          } else if (iteration >= 50) {
            last += loss;
          }
        }

        assertThat(last).isLessThan(first / 2);
      }
    }
  }

  @Test
  void bfloat16RealEmbeddingsStepAlmostAsFloat32() {
    Random random = new Random(6);
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageSet real = realSet(random);
      ImageSet syn = noise(random, CLASSES * IMAGES_PER_CLASS);
      float[][] steps = new float[2][];
      for (int run = 0; run < 2; run++) {
        // The same draws on both runs: networks, real batches and DSA from the same seeds.
        Engine.getInstance().setRandomSeed(6);
        try (DistributionMatching dm =
            matching(
                manager,
                model(Architecture.CONVNET, 2, 16),
                real,
                syn,
                new DsaAugmentation(8, 8))) {
          dm.setRealInBfloat16(run == 1);
          for (int iteration = 0; iteration < 3; iteration++) {
            dm.step();
          }
          float[] after = dm.syntheticImages().toFloatArray();
          steps[run] = new float[after.length];
          for (int i = 0; i < after.length; i++) {
            steps[run][i] = after[i] - syn.pixels()[i];
          }
        }
      }

      double dot = 0;
      double exact = 0;
      double reduced = 0;
      double difference = 0;
      for (int i = 0; i < steps[0].length; i++) {
        dot += steps[0][i] * (double) steps[1][i];
        exact += steps[0][i] * (double) steps[0][i];
        reduced += steps[1][i] * (double) steps[1][i];
        difference += Math.pow(steps[0][i] - steps[1][i], 2);
      }
      assertThat(exact).isGreaterThan(1e-6);
      // The runs differ (bfloat16 was used), and the synthetic images moved the same way.
      assertThat(difference).isGreaterThan(1e-12 * exact);
      System.out.println(
          "COS " + dot / Math.sqrt(exact * reduced) + " rel " + Math.sqrt(difference / exact));
      assertThat(dot / Math.sqrt(exact * reduced)).isGreaterThan(0.99);
    }
  }
}
