package dev.goldpan.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;

/**
 * The ConvNet of the DC/DM/DSA papers: {@code depth} blocks of 3x3 convolution ({@code width}
 * channels), instance norm, ReLU and 2x2 average pooling, then one linear classifier. As in the
 * papers' code, a 1-channel 28x28 input is padded by 3 in the first convolution so that it is
 * treated as 32x32.
 *
 * <p>Instance norm and ReLU run as one call into libtorch ({@link ScriptedKernels}): group norm
 * with one group per channel, as the reference's GroupNorm(C, C), then ReLU in place, as its
 * ReLU(inplace=True). Without {@code affine} (distillation's throwaway networks) the norm has no
 * scale and shift.
 *
 * <p>Without autograd (real embeddings, scoring, test accuracy) the first block's convolution, norm
 * and ReLU are one call computed from the image patches ({@link
 * ScriptedKernels#normalisedConvolution}), which leaves out the convolution's bias: the instance
 * norm subtracts each plane's mean, and with it any constant added to the plane, so the embedding
 * is the same function.
 */
public final class ConvNet implements Network {

  private final List<NDArray> convWeights = new ArrayList<>();
  private final List<NDArray> convBiases = new ArrayList<>();
  private final List<NDArray> normScales = new ArrayList<>();
  private final List<NDArray> normShifts = new ArrayList<>();
  private final List<NDArray> poolingMatrices = new ArrayList<>();
  private final NDArray classifierWeight;
  private final NDArray classifierBias;
  private final int firstPadding;
  private final boolean affine;
  private final long activationBytesPerImage;

  private ConvNet(NDManager manager, NetworkShape shape, int depth, int width, boolean affine) {
    this.affine = affine;
    this.firstPadding = shape.channels() == 1 && shape.height() == 28 ? 3 : 1;
    int inChannels = shape.channels();
    int rows = shape.height() + 2 * firstPadding - 2;
    int columns = shape.width() + 2 * firstPadding - 2;
    // The first block's convolution output is the largest activation: later blocks are pooled.
    this.activationBytesPerImage = (long) width * rows * columns * Float.BYTES;
    for (int block = 0; block < depth; block++) {
      int fanIn = inChannels * 9;
      convWeights.add(Init.uniform(manager, fanIn, new Shape(width, inChannels, 3, 3)));
      convBiases.add(Init.uniform(manager, fanIn, new Shape(width)));
      if (affine) {
        normScales.add(manager.ones(new Shape(width)));
        normShifts.add(manager.zeros(new Shape(width)));
      }
      poolingMatrices.add(
          rows % 2 == 0 && columns % 2 == 0 ? poolingMatrix(manager, columns) : null);
      inChannels = width;
      rows /= 2;
      columns /= 2;
    }
    int features = width * rows * columns;
    classifierWeight = Init.uniform(manager, features, new Shape(shape.classes(), features));
    classifierBias = Init.uniform(manager, features, new Shape(shape.classes()));
  }

  /**
   * A freshly initialised ConvNet (PyTorch's default initialisation: uniform in +-1/sqrt(fan_in)),
   * its arrays owned by {@code manager}.
   */
  public static ConvNet create(
      NDManager manager, NetworkShape shape, int depth, int width, boolean affine) {
    return new ConvNet(manager, shape, depth, width, affine);
  }

  @Override
  public NDArray embed(NDArray images) {
    NDArray x = images;
    Shape unit = new Shape(1, 1);
    for (int block = 0; block < convWeights.size(); block++) {
      int padding = block == 0 ? firstPadding : 1;
      if (block == 0 && !JniUtils.isGradMode()) {
        x =
            ScriptedKernels.normalisedConvolution(
                x,
                convWeights.get(0),
                padding,
                affine ? normScales.get(0) : null,
                affine ? normShifts.get(0) : null);
      } else {
        x =
            released(
                x,
                images,
                Conv2d.conv2d(
                        x,
                        convWeights.get(block),
                        convBiases.get(block),
                        unit,
                        new Shape(padding, padding),
                        unit,
                        1)
                    .singletonOrThrow());
        x =
            released(
                x,
                images,
                affine
                    ? ScriptedKernels.instanceNormRelu(
                        x, normScales.get(block), normShifts.get(block))
                    : ScriptedKernels.instanceNormRelu(x));
      }
      x = released(x, images, averagePool(x, block));
    }
    return released(x, images, x.reshape(x.getShape().get(0), -1));
  }

  @Override
  public NDArray embedInBfloat16(NDArray images) {
    if (affine) {
      return embed(images);
    }
    return ScriptedKernels.bfloat16Embedding(
        images,
        convWeights,
        convBiases,
        firstPadding,
        poolingMatrices.contains(null) ? null : poolingMatrices);
  }

  /**
   * 2x2 average pooling with stride 2, as one matrix product: in NCHW each pair of image rows is 2W
   * consecutive values, and a constant [2W, W/2] matrix holding 1/4 where output column j meets
   * input columns 2j and 2j + 1 of either row maps them to the W/2 averages; the backward pass is
   * the product with its transpose. Both are plain GEMMs on the activation as it lies. libtorch
   * 2.7's CPU avg_pool2d is a scalar loop over NCHW, and a depthwise convolution with a 1/4 kernel
   * (used before) made oneDNN reorder the activation into its blocked layout and back around every
   * call: the width-32 evaluation ran 1.2x as many epochs per second with the product
   * (docs/benchmarks.md). Planes of odd height or width use avg_pool2d, which drops the last row or
   * column as the reference's AvgPool2d does.
   */
  private NDArray averagePool(NDArray x, int block) {
    NDArray matrix = poolingMatrices.get(block);
    Shape shape = x.getShape();
    if (matrix == null) {
      return Pool.avgPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false, true);
    }
    long columns = shape.get(3);
    return x.reshape(-1, 2 * columns)
        .matMul(matrix)
        .reshape(shape.get(0), shape.get(1), shape.get(2) / 2, columns / 2);
  }

  /** The [2W, W/2] matrix of {@link #averagePool} for planes {@code columns} (W) wide. */
  private static NDArray poolingMatrix(NDManager manager, int columns) {
    int half = columns / 2;
    float[] matrix = new float[2 * columns * half];
    for (int row = 0; row < 2; row++) {
      for (int column = 0; column < columns; column++) {
        matrix[(row * columns + column) * half + column / 2] = 0.25f;
      }
    }
    return manager.create(matrix, new Shape(2L * columns, half));
  }

  /**
   * {@code output}, after closing {@code input} unless it is the caller's {@code images}: an
   * activation is let go as soon as the next layer has it, so that without autograd its memory is
   * reused by the next layer instead of held until the caller's scope ends (autograd keeps what it
   * saved for the backward pass on its own).
   */
  private static NDArray released(NDArray input, NDArray images, NDArray output) {
    if (input != images) {
      input.close();
    }
    return output;
  }

  @Override
  public long activationBytesPerImage() {
    return activationBytesPerImage;
  }

  @Override
  public NDArray logits(NDArray images) {
    return Linear.linear(embed(images), classifierWeight, classifierBias).singletonOrThrow();
  }

  @Override
  public List<NDArray> parameters() {
    List<NDArray> parameters = new ArrayList<>();
    for (int block = 0; block < convWeights.size(); block++) {
      parameters.add(convWeights.get(block));
      parameters.add(convBiases.get(block));
      if (affine) {
        parameters.add(normScales.get(block));
        parameters.add(normShifts.get(block));
      }
    }
    parameters.add(classifierWeight);
    parameters.add(classifierBias);
    return parameters;
  }
}
