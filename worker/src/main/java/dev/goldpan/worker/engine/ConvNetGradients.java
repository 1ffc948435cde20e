package dev.goldpan.worker.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import java.util.ArrayList;
import java.util.List;

/**
 * The gradients of a ConvNet's cross-entropy with respect to its weights, as a differentiable
 * function of the input images: the forward pass of {@link dev.goldpan.worker.model.ConvNet} and
 * its backward pass written out in array operations, so that ordinary first-order autograd through
 * them yields the second-order derivative that gradient matching needs (d/dS of a function of
 * dL/dtheta).
 *
 * <p>Why not {@code JniUtils.backward(..., createGraph = true)}: it leaves the graph-carrying
 * gradient in each parameter's {@code .grad}, and DJL cannot reset a {@code .grad} to undefined, so
 * the cycle parameter -> grad -> graph -> parameter keeps every outer step's graph alive (PyTorch
 * warns about exactly this; measured here as resident memory growing by the graph's size per step).
 * Written out, the backward pass needs no gradient on the parameters at all, and everything it
 * creates is freed with its scope.
 *
 * <p>The backward pass, per block from the last (n-hat the normalised plane, sigma its standard
 * deviation, t the pre-activation, a the block input), for each group's mean cross-entropy:
 *
 * <pre>
 * dz_logits = (softmax - onehot) / m;  dV = dz^T e;  de = dz V
 * dr = avg-pool backward (each pooled value / 4 to its 2x2 window);  dt = dr [t > 0]
 * dn = dt * scale;  dz = (dn - mean(dn) - n-hat mean(dn n-hat)) / sigma   (per plane)
 * dW[o, i, kh, kw] = sum over the group's samples and positions of dz[o] * pad(a)[i, shifted]
 * da = conv(dz, W flipped and transposed)   (the input gradient of a 3x3 convolution, padding 1)
 * </pre>
 */
final class ConvNetGradients {

  private static final float EPSILON = 1e-5f;
  private static final Shape UNIT = new Shape(1, 1);

  private final List<NDArray> convWeights = new ArrayList<>();
  private final List<NDArray> convBiases = new ArrayList<>();
  private final List<NDArray> normScales = new ArrayList<>();
  private final List<NDArray> normShifts = new ArrayList<>();
  private final NDArray classifierWeight;
  private final NDArray classifierBias;
  private final int firstPadding;
  private final boolean affine;

  /**
   * Reads the weights of {@code network}, a ConvNet of {@code depth} blocks built for {@code
   * shape}, as arrays detached from its parameters (they share storage, so later in-place updates
   * of the parameters are seen, but no gradient flows into them).
   */
  ConvNetGradients(Network network, int depth, NetworkShape shape) {
    List<NDArray> parameters = network.parameters();
    int perBlock = parametersPerBlock(parameters, depth);
    affine = perBlock == 4;
    for (int block = 0; block < depth; block++) {
      convWeights.add(parameters.get(block * perBlock).stopGradient());
      convBiases.add(parameters.get(block * perBlock + 1).stopGradient());
      if (affine) {
        normScales.add(parameters.get(block * perBlock + 2).stopGradient().reshape(1, -1, 1, 1));
        normShifts.add(parameters.get(block * perBlock + 3).stopGradient().reshape(1, -1, 1, 1));
      }
    }
    classifierWeight = parameters.get(parameters.size() - 2).stopGradient();
    classifierBias = parameters.get(parameters.size() - 1).stopGradient();
    // As ConvNet: a 1-channel 28x28 input is padded by 3 in the first convolution.
    firstPadding = shape.channels() == 1 && shape.height() == 28 ? 3 : 1;
  }

  /**
   * The weights that gradient matching compares, in the order of {@link #weightGradients}: each
   * block's convolution weight, then the classifier weight.
   */
  static List<NDArray> matchedWeights(Network network, int depth) {
    List<NDArray> parameters = network.parameters();
    int perBlock = parametersPerBlock(parameters, depth);
    List<NDArray> weights = new ArrayList<>();
    for (int block = 0; block < depth; block++) {
      weights.add(parameters.get(block * perBlock));
    }
    weights.add(parameters.get(parameters.size() - 2));
    return weights;
  }

  /** ConvNet's parameters come per block (weight, bias[, scale, shift]), then the classifier's. */
  private static int parametersPerBlock(List<NDArray> parameters, int depth) {
    int perBlock = (parameters.size() - 2) / depth;
    if (perBlock * depth + 2 != parameters.size() || (perBlock != 2 && perBlock != 4)) {
      throw new IllegalArgumentException("not a ConvNet of depth " + depth);
    }
    return perBlock;
  }

  /** Class scores for images [N, C, H, W] (those of the network, up to float rounding). */
  NDArray logits(NDArray images) {
    return forward(images).logits();
  }

  /**
   * For each weight (each block's convolution weight, then the classifier weight), the gradient of
   * each group's mean cross-entropy, [groups, ...weight shape]. The rows of {@code images} form
   * {@code labels.length} contiguous groups of equal size; group g is labelled {@code labels[g]}.
   * Biases and instance-norm scales and shifts are left out: gradient matching gives them no
   * weight.
   */
  List<NDArray> weightGradients(NDArray images, int[] labels) {
    long rows = images.getShape().get(0);
    int groups = labels.length;
    if (rows % groups != 0) {
      throw new IllegalArgumentException(rows + " rows do not split into " + groups + " groups");
    }
    long perGroup = rows / groups;
    Pass pass = forward(images);
    long classes = pass.logits().getShape().get(1);
    float[] oneHot = new float[(int) (rows * classes)];
    for (int row = 0; row < rows; row++) {
      oneHot[(int) (row * classes + labels[(int) (row / perGroup)])] = 1f;
    }
    NDArray target =
        images
            .getManager()
            .create(oneHot, new Shape(rows, classes))
            .toDevice(images.getDevice(), false);
    NDArray logitGradient =
        pass.logits().softmax(1).sub(target).mul(constant(images, 1f / perGroup));
    NDArray features = pass.features();
    NDArray classifierGradient =
        logitGradient
            .reshape(groups, perGroup, classes)
            .transpose(0, 2, 1)
            .matMul(features.reshape(groups, perGroup, -1));
    NDArray gradient =
        logitGradient
            .matMul(classifierWeight)
            .reshape(pass.blocks().get(pass.blocks().size() - 1).pooled());

    NDArray[] convGradients = new NDArray[convWeights.size()];
    for (int block = convWeights.size() - 1; block >= 0; block--) {
      Block b = pass.blocks().get(block);
      NDArray activated = unpool(gradient, b.normalised().getShape());
      NDArray preActivation = activated.mul(b.active());
      NDArray normalisedGradient =
          affine ? preActivation.mul(normScales.get(block)) : preActivation;
      NDArray convOutputGradient = instanceNormBackward(normalisedGradient, b);
      int padding = block == 0 ? firstPadding : 1;
      convGradients[block] = weightGradient(b.input(), convOutputGradient, padding, groups);
      if (block > 0) {
        NDArray transposed = convWeights.get(block).flip(2, 3).transpose(1, 0, 2, 3);
        gradient =
            Conv2d.conv2d(convOutputGradient, transposed, null, UNIT, UNIT, UNIT, 1)
                .singletonOrThrow();
      }
    }
    List<NDArray> gradients = new ArrayList<>(List.of(convGradients));
    gradients.add(classifierGradient);
    return gradients;
  }

  /** What the backward pass needs of one block. */
  private record Block(
      NDArray input, NDArray normalised, NDArray inverseStd, NDArray active, Shape pooled) {}

  private record Pass(List<Block> blocks, NDArray features, NDArray logits) {}

  private Pass forward(NDArray images) {
    List<Block> blocks = new ArrayList<>();
    NDArray x = images;
    for (int block = 0; block < convWeights.size(); block++) {
      int padding = block == 0 ? firstPadding : 1;
      NDArray z =
          Conv2d.conv2d(
                  x,
                  convWeights.get(block),
                  convBiases.get(block),
                  UNIT,
                  new Shape(padding, padding),
                  UNIT,
                  1)
              .singletonOrThrow();
      Shape shape = z.getShape();
      NDArray planes = z.reshape(shape.get(0) * shape.get(1), shape.get(2) * shape.get(3));
      NDArray centred = planes.sub(planes.mean(new int[] {1}, true));
      NDArray inverseStd =
          constant(z, 1f).div(centred.square().mean(new int[] {1}, true).add(EPSILON).sqrt());
      NDArray normalised = centred.mul(inverseStd).reshape(shape);
      NDArray preActivation =
          affine ? normalised.mul(normScales.get(block)).add(normShifts.get(block)) : normalised;
      NDArray active = preActivation.gt(0f).toType(DataType.FLOAT32, false);
      NDArray pooled =
          Pool.avgPool2d(
              Activation.relu(preActivation),
              new Shape(2, 2),
              new Shape(2, 2),
              new Shape(0, 0),
              false,
              true);
      blocks.add(new Block(x, normalised, inverseStd, active, pooled.getShape()));
      x = pooled;
    }
    NDArray features = x.reshape(x.getShape().get(0), -1);
    NDArray logits = Linear.linear(features, classifierWeight, classifierBias).singletonOrThrow();
    return new Pass(blocks, features, logits);
  }

  /**
   * A scalar in memory that PyTorch owns. DJL's {@code mul(Number)}, {@code div(Number)} and {@code
   * pow(Number)} wrap the number in an array over a Java buffer and close it right away, while the
   * autograd graph keeps the tensor for the backward pass; once the garbage collector frees the
   * buffer, the backward pass reads freed memory (seen as sporadic NaN and 1e13 gradients).
   */
  private static NDArray constant(NDArray like, float value) {
    return like.getManager().full(new Shape(), value).toDevice(like.getDevice(), false);
  }

  /** Spreads each pooled gradient / 4 over its 2x2 window; rows or columns left over get 0. */
  private static NDArray unpool(NDArray pooled, Shape full) {
    Shape shape = pooled.getShape();
    long n = shape.get(0);
    long c = shape.get(1);
    long h = shape.get(2);
    long w = shape.get(3);
    NDArray spread =
        pooled
            .reshape(n, c, h, 1, w, 1)
            .broadcast(n, c, h, 2, w, 2)
            .reshape(n, c, 2 * h, 2 * w)
            .mul(constant(pooled, 0.25f));
    if (full.get(2) > 2 * h) {
      spread =
          spread.concat(spread.getManager().zeros(new Shape(n, c, full.get(2) - 2 * h, 2 * w)), 2);
    }
    if (full.get(3) > 2 * w) {
      spread =
          spread.concat(
              spread.getManager().zeros(new Shape(n, c, full.get(2), full.get(3) - 2 * w)), 3);
    }
    return spread;
  }

  /** The gradient at the convolution output from the gradient at the normalised plane. */
  private static NDArray instanceNormBackward(NDArray gradient, Block block) {
    Shape shape = gradient.getShape();
    long planes = shape.get(0) * shape.get(1);
    long size = shape.get(2) * shape.get(3);
    NDArray g = gradient.reshape(planes, size);
    NDArray n = block.normalised().reshape(planes, size);
    return g.sub(g.mean(new int[] {1}, true))
        .sub(n.mul(g.mul(n).mean(new int[] {1}, true)))
        .mul(block.inverseStd())
        .reshape(shape);
  }

  /**
   * dW [groups, out, in, 3, 3] of a 3x3 convolution with padding {@code padding}, summed over each
   * group's samples, as one grouped convolution of the padded input (samples as channels) with the
   * output gradient as kernel: dW[g, o, i, kh, kw] = sum over n in g, y, x of dz[n, o, y, x]
   * pad(a)[n, i, y + kh, x + kw].
   */
  private static NDArray weightGradient(
      NDArray input, NDArray outputGradient, int padding, int groups) {
    Shape outShape = outputGradient.getShape();
    long n = outShape.get(0);
    long perGroup = n / groups;
    long out = outShape.get(1);
    long h = outShape.get(2);
    long w = outShape.get(3);
    long in = input.getShape().get(1);
    NDArray samplesAsChannels =
        input.pad(new Shape(padding, padding, padding, padding), 0).transpose(1, 0, 2, 3);
    NDArray kernels =
        outputGradient
            .reshape(groups, perGroup, out, h, w)
            .transpose(0, 2, 1, 3, 4)
            .reshape(groups * out, perGroup, h, w);
    return Conv2d.conv2d(samplesAsChannels, kernels, null, UNIT, new Shape(0, 0), UNIT, groups)
        .singletonOrThrow()
        .reshape(in, groups, out, 3, 3)
        .transpose(1, 2, 0, 3, 4);
  }
}
