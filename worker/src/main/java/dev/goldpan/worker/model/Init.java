package dev.goldpan.worker.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** PyTorch's default initialisation of convolution and linear layers. */
final class Init {

  private Init() {}

  /**
   * Uniform in +-1/sqrt(fanIn): what kaiming_uniform(a = sqrt(5)) gives weights and what PyTorch
   * gives biases.
   */
  static NDArray uniform(NDManager manager, int fanIn, Shape shape) {
    float bound = (float) (1.0 / Math.sqrt(fanIn));
    return manager.randomUniform(-bound, bound, shape);
  }
}
