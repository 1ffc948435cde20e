package dev.goldpan.worker.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.List;

/**
 * Stochastic gradient descent with momentum and weight decay, exactly as PyTorch's {@code
 * torch.optim.SGD}: {@code g = grad + weightDecay * p; v = momentum * v + g; p -= lr * v}.
 *
 * <p>The parameters must require gradients; {@link #step()} runs outside gradient recording and
 * clears the gradients it consumed. Momentum buffers live as long as the parameters.
 */
public final class Sgd {

  private final List<NDArray> parameters;
  private final List<NDArray> velocities = new ArrayList<>();
  private final float momentum;
  private final float weightDecay;
  private float learningRate;

  public Sgd(List<NDArray> parameters, float learningRate, float momentum, float weightDecay) {
    this.parameters = List.copyOf(parameters);
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    for (NDArray parameter : parameters) {
      parameter.setRequiresGradient(true);
      velocities.add(parameter.zerosLike());
    }
  }

  public void setLearningRate(float learningRate) {
    this.learningRate = learningRate;
  }

  /** Forgets the momentum, as rebuilding a torch.optim.SGD does. */
  public void resetMomentum() {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (NDArray velocity : velocities) {
        velocity.muli(0f);
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
  }

  public float learningRate() {
    return learningRate;
  }

  /** The momentum buffers, in parameter order (for checkpoints). */
  public List<NDArray> velocities() {
    return velocities;
  }

  /** Applies one update from the accumulated gradients, then zeroes them. */
  public void step() {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int i = 0; i < parameters.size(); i++) {
        NDArray parameter = parameters.get(i);
        NDArray gradient = parameter.getGradient();
        NDArray velocity = velocities.get(i);
        velocity.muli(momentum).addi(gradient);
        if (weightDecay != 0f) {
          velocity.addi(parameter.mul(weightDecay));
        }
        parameter.subi(velocity.mul(learningRate));
        JniUtils.zeroGrad((PtNDArray) parameter);
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
  }
}
