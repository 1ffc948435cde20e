package dev.goldpan.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * Differentiable siamese augmentation (Zhao and Bilen, "Dataset Condensation with Differentiable
 * Siamese Augmentation", ICML 2021) with the paper's strategy {@code
 * color_crop_cutout_flip_scale_rotate} in its single-transform mode: each call picks one of the six
 * transforms, and draws its parameters once per group of rows.
 *
 * <p>Siamese use: sample a {@link Plan} once, apply it to a real batch and to the synthetic images
 * of the same classes; row group g of both gets identical parameters. Every transform is a
 * differentiable function of the images: colour and cutout are element-wise, and flip, crop
 * (translation with zero fill), scale and rotate are one bilinear resampling (PyTorch's {@code
 * grid_sample} with {@code align_corners=True} and zero padding) computed as a gather of four
 * neighbours with precomputed indices and weights.
 *
 * <p>Parameters from the paper: flip probability 0.5, scale in [1/1.2, 1.2], rotation within +-15
 * degrees, crop shift up to 1/8 of the side, cutout of half the side, brightness +-0.5, saturation
 * x[0, 2], contrast x[0.5, 1.5].
 */
public final class DsaAugmentation {

  static final double FLIP_PROBABILITY = 0.5;
  static final double SCALE_RATIO = 1.2;
  static final double ROTATE_DEGREES = 15.0;
  static final double CROP_RATIO = 0.125;
  static final double CUTOUT_RATIO = 0.5;
  static final double BRIGHTNESS = 1.0;
  static final double SATURATION = 2.0;
  static final double CONTRAST = 0.5;

  /** The six transforms of the strategy. */
  public enum Transform {
    COLOR,
    CROP,
    CUTOUT,
    FLIP,
    SCALE,
    ROTATE
  }

  private final int height;
  private final int width;

  public DsaAugmentation(int height, int width) {
    this.height = height;
    this.width = width;
  }

  /**
   * One transform for all groups, with per-group parameters drawn from {@code random}.
   *
   * @param groups the number of row groups (classes for distillation, images for training)
   */
  public Plan sample(Random random, int groups) {
    Transform transform = Transform.values()[random.nextInt(Transform.values().length)];
    return sample(random, groups, transform);
  }

  /** A plan for the given transform, with per-group parameters drawn from {@code random}. */
  public Plan sample(Random random, int groups, Transform transform) {
    int pixels = height * width;
    return switch (transform) {
      case COLOR -> {
        float[] brightness = new float[groups];
        float[] saturation = new float[groups];
        float[] contrast = new float[groups];
        for (int g = 0; g < groups; g++) {
          brightness[g] = (float) ((random.nextDouble() - 0.5) * BRIGHTNESS);
          saturation[g] = (float) (random.nextDouble() * SATURATION);
          contrast[g] = (float) (random.nextDouble() + CONTRAST);
        }
        yield new Plan(transform, groups, brightness, saturation, contrast, null, null, null);
      }
      case CUTOUT -> {
        float[] mask = new float[groups * pixels];
        int cutHeight = (int) (height * CUTOUT_RATIO + 0.5);
        int cutWidth = (int) (width * CUTOUT_RATIO + 0.5);
        for (int g = 0; g < groups; g++) {
          int top = random.nextInt(height + (1 - cutHeight % 2)) - cutHeight / 2;
          int left = random.nextInt(width + (1 - cutWidth % 2)) - cutWidth / 2;
          for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
              boolean cut = y >= top && y < top + cutHeight && x >= left && x < left + cutWidth;
              mask[g * pixels + y * width + x] = cut ? 0f : 1f;
            }
          }
        }
        yield new Plan(transform, groups, null, null, null, mask, null, null);
      }
      default -> {
        long[] index = new long[groups * 4 * pixels];
        float[] weight = new float[groups * 4 * pixels];
        for (int g = 0; g < groups; g++) {
          double[] theta = affine(transform, random);
          resampling(theta, index, weight, g * 4 * pixels);
        }
        yield new Plan(transform, groups, null, null, null, null, index, weight);
      }
    };
  }

  /**
   * The 2x3 matrix that maps output coordinates in [-1, 1] to input coordinates, as in {@code
   * affine_grid}: {@code (x_in, y_in) = theta * (x_out, y_out, 1)}.
   */
  private double[] affine(Transform transform, Random random) {
    switch (transform) {
      case FLIP -> {
        double sign = random.nextDouble() < FLIP_PROBABILITY ? -1 : 1;
        return new double[] {sign, 0, 0, 0, 1, 0};
      }
      case CROP -> {
        int maxX = (int) (width * CROP_RATIO + 0.5);
        int maxY = (int) (height * CROP_RATIO + 0.5);
        int shiftX = random.nextInt(2 * maxX + 1) - maxX;
        int shiftY = random.nextInt(2 * maxY + 1) - maxY;
        return new double[] {
          1, 0, 2.0 * shiftX / Math.max(1, width - 1), 0, 1, 2.0 * shiftY / Math.max(1, height - 1)
        };
      }
      case SCALE -> {
        double sx = random.nextDouble() * (SCALE_RATIO - 1 / SCALE_RATIO) + 1 / SCALE_RATIO;
        double sy = random.nextDouble() * (SCALE_RATIO - 1 / SCALE_RATIO) + 1 / SCALE_RATIO;
        return new double[] {sx, 0, 0, 0, sy, 0};
      }
      case ROTATE -> {
        double angle = (random.nextDouble() - 0.5) * 2 * ROTATE_DEGREES / 180 * Math.PI;
        return new double[] {
          Math.cos(angle), -Math.sin(angle), 0, Math.sin(angle), Math.cos(angle), 0
        };
      }
      default -> throw new IllegalArgumentException(transform + " is not geometric");
    }
  }

  /** Indices and weights of the four bilinear neighbours of every output pixel. */
  private void resampling(double[] theta, long[] index, float[] weight, int offset) {
    int pixels = height * width;
    for (int y = 0; y < height; y++) {
      double yn = height == 1 ? 0 : -1 + 2.0 * y / (height - 1);
      for (int x = 0; x < width; x++) {
        double xn = width == 1 ? 0 : -1 + 2.0 * x / (width - 1);
        double sourceX = ((theta[0] * xn + theta[1] * yn + theta[2]) + 1) / 2 * (width - 1);
        double sourceY = ((theta[3] * xn + theta[4] * yn + theta[5]) + 1) / 2 * (height - 1);
        int x0 = (int) Math.floor(sourceX);
        int y0 = (int) Math.floor(sourceY);
        double fx = sourceX - x0;
        double fy = sourceY - y0;
        int pixel = y * width + x;
        for (int k = 0; k < 4; k++) {
          int nx = x0 + (k & 1);
          int ny = y0 + (k >> 1);
          double w = ((k & 1) == 1 ? fx : 1 - fx) * ((k >> 1) == 1 ? fy : 1 - fy);
          boolean inside = nx >= 0 && nx < width && ny >= 0 && ny < height;
          index[offset + k * pixels + pixel] = inside ? (long) ny * width + nx : 0;
          weight[offset + k * pixels + pixel] = inside ? (float) w : 0f;
        }
      }
    }
  }

  /**
   * Applies a plan to images [N, C, H, W] whose rows form {@code plan.groups()} contiguous groups
   * of equal size (row r belongs to group r / (N / groups)).
   */
  public NDArray apply(Plan plan, NDArray images) {
    Shape shape = images.getShape();
    long rows = shape.get(0);
    long channels = shape.get(1);
    int groups = plan.groups();
    if (rows % groups != 0) {
      throw new IllegalArgumentException(rows + " rows do not split into " + groups + " groups");
    }
    long perGroup = rows / groups;
    int pixels = height * width;
    NDManager manager = images.getManager();
    return switch (plan.transform()) {
      case COLOR -> {
        NDArray x = images.reshape(groups, perGroup, channels, height, width);
        Shape perGroupShape = new Shape(groups, 1, 1, 1, 1);
        x =
            x.add(
                manager
                    .create(plan.brightness(), perGroupShape)
                    .toDevice(images.getDevice(), false));
        NDArray channelMean = x.mean(new int[] {2}, true);
        x =
            x.sub(channelMean)
                .mul(
                    manager
                        .create(plan.saturation(), perGroupShape)
                        .toDevice(images.getDevice(), false))
                .add(channelMean);
        NDArray imageMean =
            x.reshape(groups, perGroup, -1)
                .mean(new int[] {2}, true)
                .reshape(groups, perGroup, 1, 1, 1);
        x =
            x.sub(imageMean)
                .mul(
                    manager
                        .create(plan.contrast(), perGroupShape)
                        .toDevice(images.getDevice(), false))
                .add(imageMean);
        yield x.reshape(shape);
      }
      case CUTOUT -> {
        NDArray mask =
            manager
                .create(plan.mask(), new Shape(groups, 1, 1, height, width))
                .toDevice(images.getDevice(), false);
        yield images.reshape(groups, perGroup, channels, height, width).mul(mask).reshape(shape);
      }
      default -> {
        NDArray flat = images.reshape(groups, perGroup * channels, pixels);
        NDArray index =
            manager
                .create(plan.index(), new Shape(groups, 1, 4L * pixels))
                .toDevice(images.getDevice(), false)
                .broadcast(groups, perGroup * channels, 4L * pixels);
        NDArray weight =
            manager
                .create(plan.weight(), new Shape(groups, 1, 4, pixels))
                .toDevice(images.getDevice(), false);
        yield flat.gather(index, 2)
            .reshape(groups, perGroup * channels, 4, pixels)
            .mul(weight)
            .sum(new int[] {2})
            .reshape(shape);
      }
    };
  }

  /**
   * The random choices of one augmentation call: the transform and its per-group parameters (colour
   * factors, a cutout mask, or resampling indices and weights).
   */
  public record Plan(
      Transform transform,
      int groups,
      float[] brightness,
      float[] saturation,
      float[] contrast,
      float[] mask,
      long[] index,
      float[] weight) {}
}
