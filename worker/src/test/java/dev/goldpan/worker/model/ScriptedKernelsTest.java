package dev.goldpan.worker.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ScriptedKernelsTest {

  /**
   * Instance norm and ReLU composed of elementary operations: mean and biased variance per plane.
   */
  private static NDArray composed(NDArray x, NDArray scale, NDArray shift) {
    Shape shape = x.getShape();
    NDArray planes = x.reshape(shape.get(0), shape.get(1), -1);
    NDArray centred = planes.sub(planes.mean(new int[] {2}, true));
    NDArray variance = centred.square().mean(new int[] {2}, true);
    NDArray normalised = centred.div(variance.add(1e-5f).sqrt()).reshape(shape);
    if (scale != null) {
      normalised = normalised.mul(scale.reshape(1, -1, 1, 1)).add(shift.reshape(1, -1, 1, 1));
    }
    return normalised.maximum(0f);
  }

  /**
   * The values of {@code kernel} on {@code inputs} and, under autograd, the gradients with respect
   * to each input of a weighted sum of the values.
   */
  private static List<float[]> valuesAndGradients(
      NDManager manager, List<NDArray> inputs, Function<List<NDArray>, NDArray> kernel) {
    List<NDArray> copies = inputs.stream().map(NDArray::duplicate).toList();
    copies.forEach(copy -> copy.setRequiresGradient(true));
    Shape shape = inputs.get(0).getShape();
    NDArray weights = manager.arange((float) shape.size()).reshape(shape).sin();
    List<float[]> results = new ArrayList<>();
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      NDArray output = kernel.apply(copies);
      results.add(output.toFloatArray());
      collector.backward(output.mul(weights).sum());
    }
    copies.forEach(copy -> results.add(copy.getGradient().toFloatArray()));
    return results;
  }

  private static void assertClose(float[] actual, float[] expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual[i]).as("element %d", i).isCloseTo(expected[i], within(2e-4f));
    }
  }

  @Test
  void instanceNormReluEqualsItsCompositionWithGradients() {
    Engine.getInstance().setRandomSeed(3);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.randomNormal(new Shape(3, 4, 5, 6)).mul(2).add(0.5f);
      NDArray scale = manager.create(new float[] {0.5f, 1.5f, -2f, 1f});
      NDArray shift = manager.create(new float[] {0.1f, -0.2f, 0.3f, 0f});

      List<float[]> scripted =
          valuesAndGradients(
              manager,
              List.of(x, scale, shift),
              in -> ScriptedKernels.instanceNormRelu(in.get(0), in.get(1), in.get(2)));
      List<float[]> expected =
          valuesAndGradients(
              manager, List.of(x, scale, shift), in -> composed(in.get(0), in.get(1), in.get(2)));

      for (int k = 0; k < expected.size(); k++) {
        assertClose(scripted.get(k), expected.get(k));
      }
      // The ReLU cut something and passed something: both sides of it were exercised.
      assertThat(expected.get(0)).contains(0f);
      float largest = 0;
      for (float value : expected.get(0)) {
        largest = Math.max(largest, value);
      }
      assertThat(largest).isGreaterThan(0.5f);
    }
  }

  @Test
  void plainInstanceNormReluEqualsItsCompositionWithGradients() {
    Engine.getInstance().setRandomSeed(4);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray x = manager.randomNormal(new Shape(2, 3, 7, 7)).mul(3).sub(1);

      List<float[]> scripted =
          valuesAndGradients(
              manager, List.of(x), in -> ScriptedKernels.instanceNormRelu(in.get(0)));
      List<float[]> expected =
          valuesAndGradients(manager, List.of(x), in -> composed(in.get(0), null, null));

      assertClose(scripted.get(0), expected.get(0));
      assertClose(scripted.get(1), expected.get(1));
      assertThat(expected.get(0)).contains(0f);
    }
  }
}
