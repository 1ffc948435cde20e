package dev.goldpan.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
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
 */
public final class ConvNet implements Network {

  private final List<NDArray> convWeights = new ArrayList<>();
  private final List<NDArray> convBiases = new ArrayList<>();
  private final List<NDArray> normScales = new ArrayList<>();
  private final List<NDArray> normShifts = new ArrayList<>();
  private final List<NDArray> poolingKernels = new ArrayList<>();
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
      poolingKernels.add(manager.full(new Shape(width, 1, 2, 2), 0.25f));
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
      x = released(x, images, averagePool(x, block));
    }
    return released(x, images, x.reshape(x.getShape().get(0), -1));
  }

  @Override
  public NDArray embedInBfloat16(NDArray images) {
    if (affine) {
      return embed(images);
    }
    return ScriptedKernels.bfloat16Embedding(images, convWeights, convBiases, firstPadding);
  }

  /**
   * 2x2 average pooling with stride 2, as a depthwise convolution with a constant 1/4 kernel, which
   * computes the same sums: libtorch 2.7's CPU avg_pool2d is a scalar loop over NCHW and was 16 %
   * of a DM iteration at width 128. With autograd too: forward and backward together, the
   * convolution took a third to a half of avg_pool2d's time (0.32-0.56) on the activations of
   * evaluation, scoring and DM (40-100 images at width 32, 8-16 at width 128; docs/benchmarks.md).
   */
  private NDArray averagePool(NDArray x, int block) {
    NDArray kernel = poolingKernels.get(block);
    return Conv2d.conv2d(
            x,
            kernel,
            null,
            new Shape(2, 2),
            new Shape(0, 0),
            new Shape(1, 1),
            (int) kernel.getShape().get(0))
        .singletonOrThrow();
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
