package dev.goldpan.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.goldpan.worker.model.DsaAugmentation.Plan;
import dev.goldpan.worker.model.DsaAugmentation.Transform;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DsaAugmentationTest {

  private static final Set<Transform> GEOMETRIC =
      Set.of(Transform.CROP, Transform.FLIP, Transform.SCALE, Transform.ROTATE);

  private NDManager manager;

  @BeforeEach
  void openManager() {
    manager = NDManager.newBaseManager(ai.djl.Device.cpu());
  }

  @AfterEach
  void closeManager() {
    manager.close();
  }

  private static float[] gaussian(Random random, int count) {
    float[] values = new float[count];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    return values;
  }

  private float[] apply(DsaAugmentation augmentation, Plan plan, float[] images, Shape shape) {
    return augmentation.apply(plan, manager.create(images, shape)).toFloatArray();
  }

  /** The parameters of group g of a plan, whichever kind it carries, flattened. */
  private static double[] groupParameters(Plan plan, int g) {
    if (plan.transform() == Transform.COLOR) {
      return new double[] {plan.brightness()[g], plan.saturation()[g], plan.contrast()[g]};
    }
    int size = plan.geometry().length / plan.groups();
    return Arrays.copyOfRange(plan.geometry(), g * size, (g + 1) * size);
  }

  /**
   * The bilinear resampling of {@code grid_sample} (align_corners, zero padding) for one affine
   * matrix, computed here on the host: per neighbour k and output pixel o, its source pixel and
   * weight, {@code [k * pixels + o]}.
   */
  private static void bilinear(
      double[] theta, int offset, int height, int width, int[] index, double[] weight) {
    int pixels = height * width;
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        double xn = -1 + 2.0 * x / (width - 1);
        double yn = -1 + 2.0 * y / (height - 1);
        double sourceX =
            (theta[offset] * xn + theta[offset + 1] * yn + theta[offset + 2] + 1) / 2 * (width - 1);
        double sourceY =
            (theta[offset + 3] * xn + theta[offset + 4] * yn + theta[offset + 5] + 1)
                / 2
                * (height - 1);
        int x0 = (int) Math.floor(sourceX);
        int y0 = (int) Math.floor(sourceY);
        for (int k = 0; k < 4; k++) {
          int nx = x0 + (k & 1);
          int ny = y0 + (k >> 1);
          double wx = (k & 1) == 1 ? sourceX - x0 : 1 - (sourceX - x0);
          double wy = (k >> 1) == 1 ? sourceY - y0 : 1 - (sourceY - y0);
          boolean inside = nx >= 0 && nx < width && ny >= 0 && ny < height;
          index[k * pixels + y * width + x] = inside ? ny * width + nx : 0;
          weight[k * pixels + y * width + x] = inside ? wx * wy : 0;
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Transform.class)
  void perBlockPlansGiveWhatEachBlockGetsAlone(Transform first) {
    DsaAugmentation augmentation = new DsaAugmentation(6, 6);
    Random random = new Random(21);
    // Five blocks of 3 rows: blocks 0, 2 and 4 under the given transform, 1 and 3 under crop and
    // flip, so that some blocks share a transform, go through one merged plan, and are put back.
    Plan[] plans = new Plan[5];
    plans[0] = augmentation.sample(random, 1, first);
    for (int k = 1; k < plans.length; k++) {
      plans[k] = augmentation.sample(random, 1, k % 2 == 0 ? first : Transform.values()[k]);
    }
    Shape shape = new Shape(15, 2, 6, 6);
    float[] images = gaussian(random, (int) shape.size());
    int[] rows = {3, 3, 3, 3, 3};

    float[] together =
        augmentation.applyPerBlock(plans, manager.create(images, shape), rows).toFloatArray();

    int block = 3 * 2 * 36;
    for (int k = 0; k < plans.length; k++) {
      float[] alone =
          apply(
              augmentation,
              plans[k],
              Arrays.copyOfRange(images, k * block, (k + 1) * block),
              new Shape(3, 2, 6, 6));
      for (int i = 0; i < block; i++) {
        assertThat(together[k * block + i])
            .as("block %d value %d", k, i)
            .isCloseTo(alone[i], within(1e-5f));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Transform.class)
  void appliesTheSameParametersToEveryRowOfAGroup(Transform transform) {
    DsaAugmentation augmentation = new DsaAugmentation(8, 8);
    Random random = new Random(11);
    int image = 2 * 64;
    // A real batch of 2 groups x 3 images and a synthetic one of 2 groups x 1 image, whose
    // image in group g is the real batch's second image of group g.
    float[] real = gaussian(random, 6 * image);
    float[] synthetic = new float[2 * image];
    System.arraycopy(real, image, synthetic, 0, image);
    System.arraycopy(real, 4 * image, synthetic, image, image);

    for (int draw = 0; draw < 5; draw++) {
      Plan plan = augmentation.sample(random, 2, transform);
      float[] realOut = apply(augmentation, plan, real, new Shape(6, 2, 8, 8));
      float[] syntheticOut = apply(augmentation, plan, synthetic, new Shape(2, 2, 8, 8));

      for (int g = 0; g < 2; g++) {
        float[] expected = Arrays.copyOfRange(realOut, (3 * g + 1) * image, (3 * g + 2) * image);
        float[] actual = Arrays.copyOfRange(syntheticOut, g * image, (g + 1) * image);
        for (int i = 0; i < image; i++) {
          assertThat(actual[i]).isCloseTo(expected[i], within(1e-5f));
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Transform.class)
  void transformsGroupsDifferentlyExactlyWhenTheirParametersDiffer(Transform transform) {
    DsaAugmentation augmentation = new DsaAugmentation(8, 8);
    Random random = new Random(5);
    float[] one = new float[64];
    for (int i = 0; i < 64; i++) {
      one[i] = 1 + i + (i % 3) * 0.25f;
    }
    float[] twice = new float[128];
    System.arraycopy(one, 0, twice, 0, 64);
    System.arraycopy(one, 0, twice, 64, 64);

    int differing = 0;
    for (int draw = 0; draw < 20; draw++) {
      Plan plan = augmentation.sample(random, 2, transform);
      float[] out = apply(augmentation, plan, twice, new Shape(2, 1, 8, 8));
      boolean parametersDiffer = !Arrays.equals(groupParameters(plan, 0), groupParameters(plan, 1));
      boolean outputsDiffer =
          !Arrays.equals(Arrays.copyOfRange(out, 0, 64), Arrays.copyOfRange(out, 64, 128));
      assertThat(outputsDiffer).as("draw %d", draw).isEqualTo(parametersDiffer);
      differing += parametersDiffer ? 1 : 0;
    }
    assertThat(differing).isPositive();
  }

  @Test
  void flipReversesTheColumnsExactlyAboutHalfTheTime() {
    DsaAugmentation augmentation = new DsaAugmentation(3, 3);
    float[] image = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float[] mirrored = {3, 2, 1, 6, 5, 4, 9, 8, 7};

    Random random = new Random(1);
    int flips = 0;
    for (int draw = 0; draw < 64; draw++) {
      Plan plan = augmentation.sample(random, 1, Transform.FLIP);
      float[] out = apply(augmentation, plan, image, new Shape(1, 1, 3, 3));
      if (Arrays.equals(out, mirrored)) {
        flips++;
      } else {
        assertThat(out).as("draw %d", draw).containsExactly(image);
      }
    }
    assertThat(flips).isBetween(16, 48);
  }

  @Test
  void cropShiftsByWholePixelsAndFillsWithZeros() {
    DsaAugmentation augmentation = new DsaAugmentation(8, 8);
    float[] image = new float[64];
    for (int i = 0; i < 64; i++) {
      image[i] = i + 1;
    }

    Random random = new Random(2);
    Set<List<Integer>> seen = new HashSet<>();
    for (int draw = 0; draw < 60; draw++) {
      Plan plan = augmentation.sample(random, 1, Transform.CROP);
      float[] out = apply(augmentation, plan, image, new Shape(1, 1, 8, 8));
      List<Integer> shift = matchingShift(image, out, 8, 8, 1);
      assertThat(shift).as("draw %d: %s", draw, Arrays.toString(out)).isNotNull();
      seen.add(shift);
    }
    // The shift is at most round(8 / 8) = 1 pixel each way: all 9 shifts occur.
    assertThat(seen).hasSize(9);
  }

  /** The (dx, dy) with |dx|, |dy| <= max such that out(y, x) = in(y + dy, x + dx), else 0. */
  private static List<Integer> matchingShift(
      float[] in, float[] out, int height, int width, int max) {
    for (int dy = -max; dy <= max; dy++) {
      for (int dx = -max; dx <= max; dx++) {
        boolean matches = true;
        for (int y = 0; y < height && matches; y++) {
          for (int x = 0; x < width && matches; x++) {
            int sy = y + dy;
            int sx = x + dx;
            boolean inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
            float expected = inside ? in[sy * width + sx] : 0f;
            matches = Math.abs(out[y * width + x] - expected) < 1e-4;
          }
        }
        if (matches) {
          return List.of(dx, dy);
        }
      }
    }
    return null;
  }

  @ParameterizedTest
  @EnumSource(Transform.class)
  void isDifferentiableWithRespectToTheImages(Transform transform) {
    int height = 6;
    int width = 7;
    int pixels = height * width;
    DsaAugmentation augmentation = new DsaAugmentation(height, width);
    Random random = new Random(3);
    Shape shape = new Shape(4, 2, height, width);
    int size = (int) shape.size();
    float[] images = gaussian(random, size);
    float[] weights = gaussian(random, size);
    Plan plan = augmentation.sample(random, 2, transform);

    NDArray x = manager.create(images, shape);
    x.setRequiresGradient(true);
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      collector.backward(augmentation.apply(plan, x).mul(manager.create(weights, shape)).sum());
    }
    float[] gradient = x.getGradient().toFloatArray();

    assertThat(gradient).hasSize(size);
    double norm = 0;
    for (float value : gradient) {
      assertThat(Float.isFinite(value)).isTrue();
      norm += value * value;
    }
    assertThat(norm).isGreaterThan(1e-3);

    if (GEOMETRIC.contains(transform)) {
      // The transpose of the resampling: every output pixel o of row r sends the weight of its
      // k-th neighbour times its own weight back to that neighbour.
      float[] expected = new float[size];
      int[] index = new int[4 * pixels];
      double[] weight = new double[4 * pixels];
      for (int row = 0; row < 4; row++) {
        bilinear(plan.geometry(), 6 * (row / 2), height, width, index, weight);
        for (int c = 0; c < 2; c++) {
          int plane = (row * 2 + c) * pixels;
          for (int at = 0; at < 4 * pixels; at++) {
            expected[plane + index[at]] += (float) (weight[at] * weights[plane + at % pixels]);
          }
        }
      }
      for (int i = 0; i < size; i++) {
        assertThat(gradient[i]).as("pixel %d", i).isCloseTo(expected[i], within(1e-4f));
      }
    }

    // Every transform is affine in the pixels, so a finite difference is exact up to rounding.
    for (int pixel : new int[] {0, pixels + 3 * width + 3, size - 1 - 2 * width}) {
      double step = 0.5;
      float[] moved = images.clone();
      moved[pixel] += (float) step;
      double difference =
          (weightedSum(augmentation, plan, moved, weights, shape)
                  - weightedSum(augmentation, plan, images, weights, shape))
              / step;
      assertThat(gradient[pixel])
          .as("pixel %d", pixel)
          .isCloseTo((float) difference, within(2e-3f));
    }
  }

  private double weightedSum(
      DsaAugmentation augmentation, Plan plan, float[] images, float[] weights, Shape shape) {
    float[] out = apply(augmentation, plan, images, shape);
    double sum = 0;
    for (int i = 0; i < out.length; i++) {
      sum += (double) out[i] * weights[i];
    }
    return sum;
  }

  @Test
  void colorOnOneChannelShiftsBrightnessAndScalesContrastAboutTheImageMean() {
    DsaAugmentation augmentation = new DsaAugmentation(5, 5);
    Random random = new Random(9);
    float[] images = gaussian(random, 4 * 25);
    Plan plan = augmentation.sample(random, 2, Transform.COLOR);

    float[] out = apply(augmentation, plan, images, new Shape(4, 1, 5, 5));

    // One channel: the channel mean is the pixel itself, so saturation changes nothing.
    for (int row = 0; row < 4; row++) {
      float brightness = plan.brightness()[row / 2];
      float contrast = plan.contrast()[row / 2];
      double mean = 0;
      for (int p = 0; p < 25; p++) {
        mean += images[row * 25 + p] + brightness;
      }
      mean /= 25;
      for (int p = 0; p < 25; p++) {
        double expected = (images[row * 25 + p] + brightness - mean) * contrast + mean;
        assertThat((double) out[row * 25 + p]).isCloseTo(expected, within(1e-5));
      }
    }
  }

  @Test
  void colorOnThreeChannelsFollowsTheReferenceFormula() {
    DsaAugmentation augmentation = new DsaAugmentation(4, 4);
    Random random = new Random(13);
    float[] images = gaussian(random, 2 * 3 * 16);
    Plan plan = augmentation.sample(random, 2, Transform.COLOR);

    float[] out = apply(augmentation, plan, images, new Shape(2, 3, 4, 4));

    for (int row = 0; row < 2; row++) {
      // y = (x + b - mean over channels) * s + mean over channels; z = (y - mean(y)) * c + mean(y)
      double[] y = new double[3 * 16];
      for (int p = 0; p < 16; p++) {
        double channelMean = 0;
        for (int c = 0; c < 3; c++) {
          channelMean += images[(row * 3 + c) * 16 + p] + plan.brightness()[row];
        }
        channelMean /= 3;
        for (int c = 0; c < 3; c++) {
          double bright = images[(row * 3 + c) * 16 + p] + plan.brightness()[row];
          y[c * 16 + p] = (bright - channelMean) * plan.saturation()[row] + channelMean;
        }
      }
      double mean = Arrays.stream(y).average().orElseThrow();
      for (int i = 0; i < y.length; i++) {
        double expected = (y[i] - mean) * plan.contrast()[row] + mean;
        assertThat((double) out[row * 48 + i]).isCloseTo(expected, within(1e-5));
      }
    }
  }

  @Test
  void cutoutZeroesOneBlockOfHalfTheSide() {
    DsaAugmentation augmentation = new DsaAugmentation(8, 8);
    float[] ones = new float[64];
    Arrays.fill(ones, 1f);

    Random random = new Random(4);
    for (int draw = 0; draw < 20; draw++) {
      Plan plan = augmentation.sample(random, 1, Transform.CUTOUT);
      float[] out = apply(augmentation, plan, ones, new Shape(1, 1, 8, 8));
      int top = 8;
      int bottom = -1;
      int left = 8;
      int right = -1;
      int zeros = 0;
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          if (out[y * 8 + x] == 0f) {
            zeros++;
            top = Math.min(top, y);
            bottom = Math.max(bottom, y);
            left = Math.min(left, x);
            right = Math.max(right, x);
          } else {
            assertThat(out[y * 8 + x]).isEqualTo(1f);
          }
        }
      }
      // One rectangle of at most 4x4, clipped at the borders.
      int blockHeight = bottom - top + 1;
      int blockWidth = right - left + 1;
      assertThat(zeros).as("draw %d", draw).isEqualTo(blockHeight * blockWidth);
      assertThat(blockHeight).isBetween(2, 4);
      assertThat(blockWidth).isBetween(2, 4);
    }
  }

  @Test
  void rejectsRowsThatDoNotSplitIntoTheGroups() {
    DsaAugmentation augmentation = new DsaAugmentation(4, 4);
    Plan plan = augmentation.sample(new Random(1), 2, Transform.FLIP);

    assertThatThrownBy(() -> augmentation.apply(plan, manager.zeros(new Shape(3, 1, 4, 4))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("3 rows do not split into 2 groups");
  }
}
