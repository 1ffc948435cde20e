package dev.goldpan.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConvNetTest {

  /**
   * One block computed by hand, a value at a time: 3x3 convolution with padding 1, instance norm
   * (biased variance, epsilon 1e-5) with scale and shift, ReLU, 2x2 average pooling.
   */
  private static float[] directEmbedding(
      float[] image,
      float[] weight,
      float[] bias,
      float[] scale,
      float[] shift,
      int side,
      int width) {
    float[] pooled = new float[width * (side / 2) * (side / 2)];
    for (int c = 0; c < width; c++) {
      double[] plane = new double[side * side];
      for (int y = 0; y < side; y++) {
        for (int x = 0; x < side; x++) {
          double sum = bias[c];
          for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
              int sy = y + dy;
              int sx = x + dx;
              if (sy >= 0 && sy < side && sx >= 0 && sx < side) {
                sum += weight[c * 9 + (dy + 1) * 3 + (dx + 1)] * image[sy * side + sx];
              }
            }
          }
          plane[y * side + x] = sum;
        }
      }
      double mean = 0;
      for (double v : plane) {
        mean += v / plane.length;
      }
      double variance = 0;
      for (double v : plane) {
        variance += (v - mean) * (v - mean) / plane.length;
      }
      for (int i = 0; i < plane.length; i++) {
        plane[i] =
            Math.max(0, (plane[i] - mean) / Math.sqrt(variance + 1e-5) * scale[c] + shift[c]);
      }
      int half = side / 2;
      for (int y = 0; y < half; y++) {
        for (int x = 0; x < half; x++) {
          double average =
              (plane[2 * y * side + 2 * x]
                      + plane[2 * y * side + 2 * x + 1]
                      + plane[(2 * y + 1) * side + 2 * x]
                      + plane[(2 * y + 1) * side + 2 * x + 1])
                  / 4;
          pooled[(c * half + y) * half + x] = (float) average;
        }
      }
    }
    return pooled;
  }

  /**
   * Also under autograd, which the training and the synthetic images' passes record. Planes of even
   * side are pooled by a matrix product, planes of odd side by avg_pool2d, which drops the last row
   * and column.
   */
  @ParameterizedTest
  @ValueSource(ints = {8, 7})
  void bothInstanceNormPathsEqualTheDirectComputation(int side) {
    Engine.getInstance().setRandomSeed(5);
    int width = 3;
    try (NDManager manager = NDManager.newBaseManager()) {
      NetworkShape shape = new NetworkShape(1, side, side, 2);
      ConvNet affine = ConvNet.create(manager, shape, 1, width, true);
      ConvNet plain = ConvNet.create(manager, shape, 1, width, false);
      List<NDArray> affineParameters = affine.parameters();
      // conv weight, conv bias, scale, shift, classifier weight, classifier bias
      affineParameters.get(2).set(new float[] {0.5f, 1.5f, -2f});
      affineParameters.get(3).set(new float[] {0.1f, -0.2f, 0.3f});
      plain.parameters().get(0).set(affineParameters.get(0).toFloatArray());
      plain.parameters().get(1).set(affineParameters.get(1).toFloatArray());
      NDArray images = manager.randomNormal(new Shape(2, 1, side, side));

      float[] affineEmbedding = affine.embed(images).toFloatArray();
      float[] plainEmbedding = plain.embed(images).toFloatArray();
      float[] recordedEmbedding;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        recordedEmbedding = affine.embed(images).toFloatArray();
      }

      float[] weight = affineParameters.get(0).toFloatArray();
      float[] bias = affineParameters.get(1).toFloatArray();
      int features = width * (side / 2) * (side / 2);
      for (int n = 0; n < 2; n++) {
        float[] image = images.get(n).toFloatArray();
        float[] withAffine =
            directEmbedding(
                image,
                weight,
                bias,
                new float[] {0.5f, 1.5f, -2f},
                new float[] {0.1f, -0.2f, 0.3f},
                side,
                width);
        float[] withoutAffine =
            directEmbedding(
                image, weight, bias, new float[] {1, 1, 1}, new float[] {0, 0, 0}, side, width);
        for (int f = 0; f < features; f++) {
          assertThat(affineEmbedding[n * features + f]).isCloseTo(withAffine[f], within(1e-4f));
          assertThat(recordedEmbedding[n * features + f]).isCloseTo(withAffine[f], within(1e-4f));
          assertThat(plainEmbedding[n * features + f]).isCloseTo(withoutAffine[f], within(1e-4f));
        }
      }
    }
  }

  /**
   * Without autograd the first block's convolution, norm and ReLU are one product from the image
   * patches, without the convolution's bias; under autograd they are libtorch's convolution (with
   * the bias), group norm and ReLU. The two must be the same function: padding 3 (28x28 in one
   * channel) and 1, an odd side, with and without the norm's scale and shift (set away from 1 and
   * 0).
   */
  @ParameterizedTest
  @CsvSource({"1, 28, true", "1, 28, false", "3, 32, true", "3, 9, false"})
  void embeddingWithoutAutogradEqualsTheRecordedOne(int channels, int side, boolean affine) {
    Engine.getInstance().setRandomSeed(7);
    try (NDManager manager = NDManager.newBaseManager()) {
      ConvNet network =
          ConvNet.create(manager, new NetworkShape(channels, side, side, 10), 2, 16, affine);
      if (affine) {
        // conv weight, conv bias, scale, shift of the first block
        network
            .parameters()
            .get(2)
            .set(manager.randomUniform(0.5f, 2f, new Shape(16)).toFloatArray());
        network.parameters().get(3).set(manager.randomNormal(new Shape(16)).toFloatArray());
      }
      NDArray images = manager.randomNormal(new Shape(4, channels, side, side));

      float[] unrecorded = network.embed(images).toFloatArray();
      float[] recorded;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        recorded = network.embed(images).toFloatArray();
      }

      assertThat(unrecorded).hasSameSizeAs(recorded);
      for (int i = 0; i < recorded.length; i++) {
        assertThat(unrecorded[i]).as("feature %d", i).isCloseTo(recorded[i], within(1e-4f));
      }
    }
  }

  @Test
  void normScaleAndShiftReceiveGradients() {
    Engine.getInstance().setRandomSeed(6);
    try (NDManager manager = NDManager.newBaseManager()) {
      ConvNet network = ConvNet.create(manager, new NetworkShape(1, 8, 8, 2), 2, 4, true);
      for (NDArray parameter : network.parameters()) {
        parameter.setRequiresGradient(true);
      }
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        collector.backward(
            network.logits(manager.randomNormal(new Shape(3, 1, 8, 8))).square().sum());
      }

      for (NDArray parameter : network.parameters()) {
        assertThat(parameter.getGradient().abs().sum().getFloat()).isPositive();
      }
    }
  }
}
