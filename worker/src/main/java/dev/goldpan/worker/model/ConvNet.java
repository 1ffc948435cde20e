package dev.goldpan.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ConvNet of the DC/DM/DSA papers: {@code depth} blocks of 3x3 convolution ({@code width}
 * channels), instance norm, ReLU and 2x2 average pooling, then one linear classifier. As in the
 * papers' code, a 1-channel 28x28 input is padded by 3 in the first convolution so that it is
 * treated as 32x32.
 *
 * <p>Instance norm normalises each (sample, channel) plane. Without {@code affine} (distillation's
 * throwaway networks, whose scale would be 1 and shift 0) it is the fused layer norm over the plane
 * ([N*C, H*W]); with it, the fused batch norm over [1, N*C, H, W] applies the per-channel scale and
 * shift in the same pass. Both are exact and much faster than composing mean and variance.
 */
public final class ConvNet implements Network {

  private static final float EPSILON = 1e-5f;

  private final List<NDArray> convWeights = new ArrayList<>();
  private final List<NDArray> convBiases = new ArrayList<>();
  private final List<NDArray> normScales = new ArrayList<>();
  private final List<NDArray> normShifts = new ArrayList<>();
  private final List<NDArray> planeOnes = new ArrayList<>();
  private final List<NDArray> planeZeros = new ArrayList<>();
  private final List<NDArray> poolingKernels = new ArrayList<>();
  private final NDArray classifierWeight;
  private final NDArray classifierBias;
  private final int firstPadding;
  private final boolean affine;
  private final long activationBytesPerImage;
  private final NDManager manager;
  private final Map<Long, NDList> runningStatistics = new HashMap<>();

  private ConvNet(NDManager manager, NetworkShape shape, int depth, int width, boolean affine) {
    this.affine = affine;
    this.manager = manager;
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
      if (!affine) {
        // The fused layer norm wants an element-wise scale and shift over the plane: 1 and 0.
        planeOnes.add(manager.ones(new Shape((long) rows * columns)));
        planeZeros.add(manager.zeros(new Shape((long) rows * columns)));
      } else {
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
      x = released(x, images, instanceNorm(x, block));
      x = released(x, images, Activation.relu(x));
      x = released(x, images, averagePool(x, block));
    }
    return released(x, images, x.reshape(x.getShape().get(0), -1));
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

  private NDArray instanceNorm(NDArray x, int block) {
    Shape shape = x.getShape();
    long planes = shape.get(0) * shape.get(1);
    if (affine) {
      // Instance norm with its per-channel scale and shift in one fused kernel: batch norm in
      // training mode over [1, N*C, H, W] (as PyTorch's own instance_norm does), the scale and
      // shift tiled over the samples. The running statistics it updates are never read.
      NDList running = runningStatistics(planes);
      long samples = shape.get(0);
      try (NDArray planar = x.reshape(1, planes, shape.get(2), shape.get(3));
          NDArray scale = normScales.get(block).tile(samples);
          NDArray shift = normShifts.get(block).tile(samples);
          NDArray normalised =
              JniUtils.batchNorm(
                  (PtNDArray) planar,
                  (PtNDArray) running.get(0),
                  (PtNDArray) running.get(1),
                  (PtNDArray) scale,
                  (PtNDArray) shift,
                  true,
                  0.1,
                  EPSILON)) {
        return normalised.reshape(shape);
      }
    }
    long planeSize = shape.get(2) * shape.get(3);
    try (NDArray planar = x.reshape(planes, planeSize);
        NDArray normalised =
            LayerNorm.layerNorm(
                    planar,
                    new Shape(planeSize),
                    planeOnes.get(block),
                    planeZeros.get(block),
                    EPSILON)
                .singletonOrThrow()) {
      return normalised.reshape(shape);
    }
  }

  /**
   * Running mean and variance buffers for {@code planes} planes, made once per batch size and kept
   * for the life of the network: batch norm in training mode needs them but its output does not
   * depend on them.
   */
  private NDList runningStatistics(long planes) {
    return runningStatistics.computeIfAbsent(
        planes,
        size -> {
          NDList buffers =
              new NDList(manager.zeros(new Shape(size)), manager.ones(new Shape(size)));
          NDScope.unregister(buffers);
          return buffers;
        });
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
