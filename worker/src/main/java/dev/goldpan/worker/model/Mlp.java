package dev.goldpan.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.List;

/** A multi-layer perceptron: {@code depth} hidden layers of {@code width} units with ReLU. */
public final class Mlp implements Network {

  private final List<NDArray> weights = new ArrayList<>();
  private final List<NDArray> biases = new ArrayList<>();
  private final long activationBytesPerImage;

  private Mlp(NDManager manager, NetworkShape shape, int depth, int width) {
    int in = shape.channels() * shape.height() * shape.width();
    activationBytesPerImage = (long) Math.max(in, width) * Float.BYTES;
    for (int layer = 0; layer <= depth; layer++) {
      int out = layer == depth ? shape.classes() : width;
      weights.add(Init.uniform(manager, in, new Shape(out, in)));
      biases.add(Init.uniform(manager, in, new Shape(out)));
      in = out;
    }
  }

  /** A freshly initialised MLP, its arrays owned by {@code manager}. */
  public static Mlp create(NDManager manager, NetworkShape shape, int depth, int width) {
    return new Mlp(manager, shape, depth, width);
  }

  @Override
  public NDArray embed(NDArray images) {
    NDArray x = images.reshape(images.getShape().get(0), -1);
    for (int layer = 0; layer < weights.size() - 1; layer++) {
      x = Linear.linear(x, weights.get(layer), biases.get(layer)).singletonOrThrow();
      x = Activation.relu(x);
    }
    return x;
  }

  @Override
  public long activationBytesPerImage() {
    return activationBytesPerImage;
  }

  @Override
  public NDArray logits(NDArray images) {
    int last = weights.size() - 1;
    return Linear.linear(embed(images), weights.get(last), biases.get(last)).singletonOrThrow();
  }

  @Override
  public List<NDArray> parameters() {
    List<NDArray> parameters = new ArrayList<>();
    for (int layer = 0; layer < weights.size(); layer++) {
      parameters.add(weights.get(layer));
      parameters.add(biases.get(layer));
    }
    return parameters;
  }
}
