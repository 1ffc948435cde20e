package dev.goldpan.worker.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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
 * grid_sample} with {@code align_corners=True} and zero padding), by libtorch's own grid sampler as
 * the reference code calls it, in float32, from the plan's 2x3 matrices, uploaded once per plan.
 * (Before, a gather of four neighbours with index and weight tables built on the device once per
 * plan, in float64, about 40 operations per plan: the width-32 evaluation, which applies each plan
 * once, runs 11 % more epochs per second without them; docs/benchmarks.md.)
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
        yield new Plan(transform, groups, new float[][] {brightness, saturation, contrast}, null);
      }
      case CUTOUT -> {
        int cutHeight = (int) (height * CUTOUT_RATIO + 0.5);
        int cutWidth = (int) (width * CUTOUT_RATIO + 0.5);
        double[] corners = new double[2 * groups];
        for (int g = 0; g < groups; g++) {
          corners[2 * g] = random.nextInt(height + (1 - cutHeight % 2)) - cutHeight / 2;
          corners[2 * g + 1] = random.nextInt(width + (1 - cutWidth % 2)) - cutWidth / 2;
        }
        yield new Plan(transform, groups, null, corners);
      }
      default -> {
        double[] theta = new double[6 * groups];
        for (int g = 0; g < groups; g++) {
          System.arraycopy(affine(transform, random), 0, theta, 6 * g, 6);
        }
        yield new Plan(transform, groups, null, theta);
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
    NDList tables = plan.tables(this, images.getManager(), images.getDevice());
    return switch (plan.transform()) {
      case COLOR -> {
        NDArray x = images.reshape(groups, perGroup, channels, height, width).add(tables.get(0));
        NDArray channelMean = x.mean(new int[] {2}, true);
        x = x.sub(channelMean).mul(tables.get(1)).add(channelMean);
        NDArray imageMean =
            x.reshape(groups, perGroup, -1)
                .mean(new int[] {2}, true)
                .reshape(groups, perGroup, 1, 1, 1);
        x = x.sub(imageMean).mul(tables.get(2)).add(imageMean);
        yield x.reshape(shape);
      }
      case CUTOUT ->
          images
              .reshape(groups, perGroup, channels, height, width)
              .mul(tables.get(0))
              .reshape(shape);
      default ->
          ScriptedKernels.affineResample(
                  images.reshape(groups, perGroup * channels, height, width), tables.get(0))
              .reshape(shape);
    };
  }

  /**
   * Applies {@code plans[k]} to the k-th block of {@code rows[k]} consecutive rows of {@code
   * images}, as one pass per transform: the blocks that share a transform are gathered, augmented
   * under one plan holding all their parameters, and put back in place.
   */
  public NDArray applyPerBlock(Plan[] plans, NDArray images, int[] rows) {
    if (plans.length == 1) {
      return apply(plans[0], images);
    }
    long[] starts = new long[plans.length + 1];
    for (int k = 0; k < plans.length; k++) {
      starts[k + 1] = starts[k] + rows[k];
    }
    NDList parts = new NDList();
    long[] order = new long[(int) starts[plans.length]];
    int placed = 0;
    for (Transform transform : Transform.values()) {
      List<Integer> blocks = new ArrayList<>();
      for (int k = 0; k < plans.length; k++) {
        if (plans[k].transform() == transform) {
          blocks.add(k);
        }
      }
      if (blocks.isEmpty()) {
        continue;
      }
      int first = placed;
      for (int k : blocks) {
        if (rows[k] % plans[k].groups() != 0
            || rows[k] / plans[k].groups() != rows[blocks.get(0)] / plans[blocks.get(0)].groups()) {
          return applyBlockByBlock(plans, images, starts);
        }
        for (long row = starts[k]; row < starts[k + 1]; row++) {
          order[placed++] = row;
        }
      }
      NDArray picked =
          blocks.size() == plans.length
              ? images
              : images.get(
                  new NDIndex(
                      "{}", images.getManager().create(Arrays.copyOfRange(order, first, placed))));
      parts.add(apply(merged(plans, blocks), picked));
    }
    if (parts.size() == 1) {
      return parts.singletonOrThrow();
    }
    long[] inverse = new long[order.length];
    for (int i = 0; i < order.length; i++) {
      inverse[(int) order[i]] = i;
    }
    return NDArrays.concat(parts, 0).get(new NDIndex("{}", images.getManager().create(inverse)));
  }

  private NDArray applyBlockByBlock(Plan[] plans, NDArray images, long[] starts) {
    NDList parts = new NDList(plans.length);
    for (int k = 0; k < plans.length; k++) {
      parts.add(apply(plans[k], images.get(starts[k] + ":" + starts[k + 1])));
    }
    return NDArrays.concat(parts, 0);
  }

  /**
   * One plan holding the groups of {@code plans[k]} for each k of {@code blocks}, in order; made
   * once and kept with the first of them, so applying the same plans again reuses its tables.
   */
  private static Plan merged(Plan[] plans, List<Integer> blocks) {
    if (blocks.size() == 1) {
      return plans[blocks.get(0)];
    }
    Plan first = plans[blocks.get(0)];
    Plan[] members = blocks.stream().map(k -> plans[k]).toArray(Plan[]::new);
    if (first.merge != null && Arrays.equals(first.mergeMembers, members)) {
      return first.merge;
    }
    int groups = blocks.stream().mapToInt(k -> plans[k].groups()).sum();
    float[][] factors = null;
    if (first.factors != null) {
      factors = new float[first.factors.length][groups];
      for (int f = 0; f < factors.length; f++) {
        int at = 0;
        for (int k : blocks) {
          System.arraycopy(plans[k].factors[f], 0, factors[f], at, plans[k].groups());
          at += plans[k].groups();
        }
      }
    }
    double[] geometry = null;
    if (first.geometry != null) {
      int perGroup = first.geometry.length / first.groups();
      geometry = new double[groups * perGroup];
      int at = 0;
      for (int k : blocks) {
        System.arraycopy(plans[k].geometry, 0, geometry, at, plans[k].geometry.length);
        at += plans[k].geometry.length;
      }
    }
    first.merge = new Plan(first.transform(), groups, factors, geometry);
    first.mergeMembers = members;
    return first.merge;
  }

  /** The device arrays {@link #apply} uses for {@code plan}, computed on the device. */
  private NDList tables(Plan plan, NDManager manager, Device device) {
    int groups = plan.groups();
    return switch (plan.transform()) {
      case COLOR -> {
        NDList factors = new NDList(3);
        for (float[] values : plan.factors) {
          factors.add(
              manager.create(values, new Shape(groups, 1, 1, 1, 1)).toDevice(device, false));
        }
        yield factors;
      }
      case CUTOUT -> {
        NDArray corners =
            manager.create(plan.geometry, new Shape(groups, 2)).toDevice(device, false);
        NDArray top = corners.get(":, 0").reshape(groups, 1, 1);
        NDArray left = corners.get(":, 1").reshape(groups, 1, 1);
        NDArray y = manager.arange(0, height, 1, DataType.FLOAT64, device).reshape(1, height, 1);
        NDArray x = manager.arange(0, width, 1, DataType.FLOAT64, device).reshape(1, 1, width);
        double cutHeight = (int) (height * CUTOUT_RATIO + 0.5);
        double cutWidth = (int) (width * CUTOUT_RATIO + 0.5);
        NDArray cut =
            y.gte(top)
                .logicalAnd(y.lt(top.add(cutHeight)))
                .logicalAnd(x.gte(left))
                .logicalAnd(x.lt(left.add(cutWidth)));
        yield new NDList(
            cut.logicalNot().toType(DataType.FLOAT32, false).reshape(groups, 1, 1, height, width));
      }
      default ->
          new NDList(
              manager
                  .create(plan.geometry, new Shape(groups, 2, 3))
                  .toType(DataType.FLOAT32, false)
                  .toDevice(device, false));
    };
  }

  /**
   * The random choices of one augmentation call: the transform and its per-group parameters
   * (brightness, saturation and contrast factors for colour; the top-left corner of the cut for
   * cutout; the 2x3 affine matrix for the geometric transforms). The device arrays computed from
   * them are kept with the plan while the scope they were made in is open, so a plan applied to a
   * real batch and to the synthetic images computes them once.
   */
  public static final class Plan {
    private final Transform transform;
    private final int groups;
    private final float[][] factors;
    private final double[] geometry;
    private NDList tables;
    private Plan merge;
    private Plan[] mergeMembers;

    Plan(Transform transform, int groups, float[][] factors, double[] geometry) {
      this.transform = transform;
      this.groups = groups;
      this.factors = factors;
      this.geometry = geometry;
    }

    public Transform transform() {
      return transform;
    }

    public int groups() {
      return groups;
    }

    /** Colour only: the brightness shift of each group. */
    public float[] brightness() {
      return factors[0];
    }

    /** Colour only: the saturation factor of each group. */
    public float[] saturation() {
      return factors[1];
    }

    /** Colour only: the contrast factor of each group. */
    public float[] contrast() {
      return factors[2];
    }

    /**
     * Cutout: per group its top and left (2 values); geometric: per group its affine matrix (6
     * values, row-major); null for colour.
     */
    public double[] geometry() {
      return geometry == null ? null : geometry.clone();
    }

    private NDList tables(DsaAugmentation augmentation, NDManager manager, Device device) {
      if (tables == null
          || tables.get(0).isReleased()
          || !tables.get(0).getDevice().equals(device)) {
        tables = augmentation.tables(this, manager, device);
      }
      return tables;
    }
  }
}
