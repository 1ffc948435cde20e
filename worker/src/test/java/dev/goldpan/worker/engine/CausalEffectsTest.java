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
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CausalEffectsTest {

  private static final int SIDE = 6;
  private static final int PIXELS = SIDE * SIDE;

  private static ImageSet images(Random random, int count) {
    float[] pixels = new float[count * PIXELS];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextGaussian();
    }
    return new ImageSet(pixels, new int[count], 1, SIDE, SIDE);
  }

  private static Network network(
      NDManager manager, Architecture architecture, int depth, int width) {
    ModelSpec model = new ModelSpec();
    model.setArchitecture(architecture);
    model.setDepth(depth);
    model.setWidth(width);
    return Networks.create(manager, model, new NetworkShape(1, SIDE, SIDE, 2), false);
  }

  /** dL/dS for L = || mean_{x in pool} psi(x) - mean_{s in S} psi(s) ||^2, by autograd. */
  private static float[] metaGradient(
      NDManager manager, Network network, ImageSet real, int[] pool, float[] synthetic, int ipc) {
    NDArray s = manager.create(synthetic, new Shape(ipc, 1, SIDE, SIDE));
    s.setRequiresGradient(true);
    NDArray realMean;
    JniUtils.setGradMode(false);
    realMean =
        network.embed(Batches.images(manager, real, pool, 0, pool.length)).mean(new int[] {0});
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray loss = realMean.sub(network.embed(s).mean(new int[] {0})).square().sum();
      collector.backward(loss);
    }
    return s.getGradient().toFloatArray();
  }

  @ParameterizedTest(name = "{0} depth {1} width {2}, pool {3}")
  @CsvSource({
    // D = width * 3 * 3 = 36 embedding dimensions > 7 candidates: one VJP per candidate.
    "CONVNET, 1, 4, 7",
    // D = 3 < 9 candidates: J is built from D VJPs and the Gram matrix is used.
    "MLP, 1, 3, 9",
  })
  void closedFormEqualsBruteForceLeaveOneOut(
      Architecture architecture, int depth, int width, int poolSize) {
    Random random = new Random(11);
    Engine.getInstance().setRandomSeed(11);
    int ipc = 2;
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageSet real = images(random, poolSize + 3);
      int[] pool = new int[poolSize];
      for (int i = 0; i < poolSize; i++) {
        pool[i] = i + 3;
      }
      float[] synthetic = images(random, ipc).pixels();
      Network network = network(manager, architecture, depth, width);

      float[] effects =
          CausalEffects.distributionMatching(
                  network,
                  images -> images,
                  TestPools.asIs(manager, real),
                  pool,
                  manager.create(synthetic, new Shape(ipc, 1, SIDE, SIDE)))
              .effects();

      float[] full = metaGradient(manager, network, real, pool, synthetic, ipc);
      for (int leaveOut = 0; leaveOut < poolSize; leaveOut++) {
        int[] rest = new int[poolSize - 1];
        for (int i = 0, j = 0; i < poolSize; i++) {
          if (i != leaveOut) {
            rest[j++] = pool[i];
          }
        }
        float[] without = metaGradient(manager, network, real, rest, synthetic, ipc);
        double squared = 0;
        for (int p = 0; p < full.length; p++) {
          squared += (full[p] - without[p]) * (double) (full[p] - without[p]);
        }
        double bruteForce = Math.sqrt(squared);
        assertThat((double) effects[leaveOut])
            .as("candidate %d", leaveOut)
            .isCloseTo(bruteForce, within(1e-4 * bruteForce + 1e-7));
      }
    }
  }

  @Test
  void replicatedBatchProductsEqualPerVectorProducts() {
    Random random = new Random(12);
    Engine.getInstance().setRandomSeed(12);
    int ipc = 3;
    try (NDManager manager = NDManager.newBaseManager()) {
      Network network = network(manager, Architecture.CONVNET, 2, 4);
      NDArray synthetic =
          manager.create(images(random, ipc).pixels(), new Shape(ipc, 1, SIDE, SIDE));
      long dimensions = network.embed(synthetic).getShape().get(1);
      NDArray vectors = manager.randomNormal(new Shape(5, dimensions));

      NDArray[] replicated =
          CausalEffects.vectorJacobianProducts(network::embed, synthetic, vectors);
      float[] batched = replicated.length == 1 ? replicated[0].toFloatArray() : null;

      assertThat(replicated).hasSize(1);
      int size = ipc * PIXELS;
      for (int k = 0; k < 5; k++) {
        NDArray s = synthetic.duplicate();
        s.setRequiresGradient(true);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          NDArray mean = network.embed(s).mean(new int[] {0});
          collector.backward(mean.mul(vectors.get(k)).sum());
        }
        float[] single = s.getGradient().toFloatArray();
        for (int p = 0; p < size; p++) {
          assertThat(batched[k * size + p])
              .isCloseTo(single[p], within(1e-5f + 1e-4f * Math.abs(single[p])));
        }
      }
    }
  }
}
