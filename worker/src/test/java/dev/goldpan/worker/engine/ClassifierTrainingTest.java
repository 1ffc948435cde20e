package dev.goldpan.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.model.ConvNet;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A training batch split into passes gives the same update as one pass over it; calls sharing an
 * optimiser continue its momentum.
 */
class ClassifierTrainingTest {

  private static final int IMAGES = 40;

  @Test
  void passesOfAFewImagesUpdateTheNetworkAsOnePassDoes() {
    // Width 128 on 3x32x32 images: 512 KiB of activation per image, so 16 images per pass and
    // the 40-image batch goes through in passes of 16, 16 and 8.
    Random random = new Random(3);
    float[] pixels = new float[IMAGES * 3 * 32 * 32];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextGaussian();
    }
    int[] labels = new int[IMAGES];
    for (int i = 0; i < IMAGES; i++) {
      labels[i] = i % 10;
    }
    ImageSet data = new ImageSet(pixels, labels, 3, 32, 32);
    try (NDManager manager = NDManager.newBaseManager()) {
      ConvNet network = ConvNet.create(manager, new NetworkShape(3, 32, 32, 10), 3, 128, true);
      assertThat(network.rowsPerPass()).isEqualTo(16);
      List<float[]> initial = values(network.parameters());

      float[] splitLosses = train(manager, network, data);
      List<float[]> split = values(network.parameters());

      restore(network.parameters(), initial);
      float[] wholeLosses = train(manager, onePass(network), data);
      List<float[]> whole = values(network.parameters());

      float largest = 0;
      for (int p = 0; p < whole.size(); p++) {
        for (int i = 0; i < whole.get(p).length; i++) {
          largest = Math.max(largest, Math.abs(whole.get(p)[i] - initial.get(p)[i]));
          assertThat(split.get(p)[i])
              .as("parameter %d element %d", p, i)
              .isCloseTo(whole.get(p)[i], offset(1e-6f));
        }
      }
      // The step moved the network by far more than the tolerance above.
      assertThat(largest).isGreaterThan(1e-4f);
      for (int i = 0; i < IMAGES; i++) {
        assertThat(splitLosses[i]).isCloseTo(wholeLosses[i], offset(1e-4f));
      }
    }
  }

  /**
   * Two calls that share one optimiser continue its momentum: together they make the two steps of
   * one SGD with momentum 0.9 (as over a set streamed in two chunks), which a fresh optimiser per
   * call does not.
   */
  @Test
  void callsSharingAnOptimiserCarryItsMomentum() {
    Random random = new Random(5);
    ImageSet first = randomSet(random, 20);
    ImageSet second = randomSet(random, 20);
    ClassifierTraining.Settings settings = ClassifierTraining.Settings.reference(1, null, false);
    try (NDManager manager = NDManager.newBaseManager()) {
      ConvNet network = ConvNet.create(manager, new NetworkShape(1, 8, 8, 10), 2, 8, true);
      List<float[]> initial = values(network.parameters());

      Sgd shared = ClassifierTraining.optimiser(network, settings);
      for (ImageSet chunk : List.of(first, second)) {
        train(manager, network, chunk, settings, shared);
      }
      List<float[]> sharing = values(network.parameters());

      restore(network.parameters(), initial);
      for (ImageSet chunk : List.of(first, second)) {
        train(manager, network, chunk, settings, ClassifierTraining.optimiser(network, settings));
      }
      List<float[]> fresh = values(network.parameters());

      restore(network.parameters(), initial);
      Sgd sgd = new Sgd(network.parameters(), 0.01f, 0.9f, 5e-4f);
      for (ImageSet chunk : List.of(first, second)) {
        try (NDScope scope = new NDScope()) {
          int[] order = Batches.identity(chunk.size());
          NDArray images = Batches.images(manager, chunk, order, 0, chunk.size());
          NDArray labels = Batches.labels(manager, chunk, order, 0, chunk.size());
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(
                ClassifierTraining.crossEntropy(network.logits(images), labels).mean());
          }
          sgd.step();
        }
      }
      List<float[]> expected = values(network.parameters());

      float freshDeparture = 0;
      for (int p = 0; p < expected.size(); p++) {
        for (int i = 0; i < expected.get(p).length; i++) {
          assertThat(sharing.get(p)[i])
              .as("parameter %d element %d", p, i)
              .isCloseTo(expected.get(p)[i], offset(1e-6f));
          freshDeparture = Math.max(freshDeparture, Math.abs(fresh.get(p)[i] - expected.get(p)[i]));
        }
      }
      assertThat(freshDeparture).isGreaterThan(1e-4f);
    }
  }

  /** {@code size} 1x8x8 images of Gaussian noise, labelled 0-9 in turn. */
  private static ImageSet randomSet(Random random, int size) {
    float[] pixels = new float[size * 64];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextGaussian();
    }
    int[] labels = new int[size];
    for (int i = 0; i < size; i++) {
      labels[i] = i % 10;
    }
    return new ImageSet(pixels, labels, 1, 8, 8);
  }

  /** One epoch of {@code data} (one step: the batch holds it all) with {@code sgd}. */
  private static void train(
      NDManager manager,
      Network network,
      ImageSet data,
      ClassifierTraining.Settings settings,
      Sgd sgd) {
    ClassifierTraining.train(
        manager, network, data, settings, sgd, new Random(13), 0, (step, total, loss) -> {});
  }

  /** One epoch (one step: the batch holds all 40 images); the loss of every image. */
  private static float[] train(NDManager manager, Network network, ImageSet data) {
    return ClassifierTraining.train(
        manager,
        network,
        data,
        ClassifierTraining.Settings.reference(1, null, false),
        new Random(11),
        1,
        (step, total, loss) -> {});
  }

  /** {@code network} with every batch in one pass. */
  private static Network onePass(ConvNet network) {
    return new Network() {
      @Override
      public NDArray embed(NDArray images) {
        return network.embed(images);
      }

      @Override
      public NDArray logits(NDArray images) {
        return network.logits(images);
      }

      @Override
      public List<NDArray> parameters() {
        return network.parameters();
      }

      @Override
      public long activationBytesPerImage() {
        return 1;
      }
    };
  }

  private static List<float[]> values(List<NDArray> arrays) {
    List<float[]> values = new ArrayList<>();
    for (NDArray array : arrays) {
      values.add(array.toFloatArray());
    }
    return values;
  }

  private static void restore(List<NDArray> arrays, List<float[]> values) {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int p = 0; p < arrays.size(); p++) {
        arrays.get(p).set(values.get(p));
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
  }
}
