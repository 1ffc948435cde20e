package dev.goldpan.worker.model;

import ai.djl.ndarray.NDManager;
import dev.goldpan.api.v1alpha1.ModelSpec;

/** Builds the network a spec asks for. */
public final class Networks {

  private Networks() {}

  /**
   * A freshly initialised network. {@code trainable} networks carry instance-norm scale and shift
   * (as trained ConvNets do); distillation's throwaway networks do not need them.
   */
  public static Network create(
      NDManager manager, ModelSpec model, NetworkShape shape, boolean trainable) {
    return switch (model.getArchitecture()) {
      case CONVNET -> ConvNet.create(manager, shape, model.getDepth(), model.getWidth(), trainable);
      case MLP -> Mlp.create(manager, shape, model.getDepth(), model.getWidth());
    };
  }
}
