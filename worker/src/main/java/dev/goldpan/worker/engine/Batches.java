package dev.goldpan.worker.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.goldpan.worker.data.ImageSet;
import java.nio.FloatBuffer;
import java.util.Random;

/** Copies images and labels from host memory into device arrays, and splits work into passes. */
final class Batches {

  private Batches() {}

  /** Images at {@code indices[from, to)} as an [n, C, H, W] array. */
  static NDArray images(NDManager manager, ImageSet set, int[] indices, int from, int to) {
    return manager.create(
        FloatBuffer.wrap(set.values(indices, from, to)),
        new Shape(to - from, set.channels(), set.height(), set.width()));
  }

  /** Labels at {@code indices[from, to)} as an int64 [n] array. */
  static NDArray labels(NDManager manager, ImageSet set, int[] indices, int from, int to) {
    long[] labels = new long[to - from];
    for (int i = from; i < to; i++) {
      labels[i - from] = set.labels()[indices[i]];
    }
    return manager.create(labels);
  }

  /** One pass over rows [from, to): its result, made inside the pass's own scope. */
  @FunctionalInterface
  interface Pass {
    NDArray over(int from, int to);
  }

  /**
   * {@code pass} over rows [0, rows) in passes of {@code perPass} rows, their results concatenated
   * along the first axis. Everything else a pass makes is closed when it ends, so that without
   * autograd each pass's activations are freed (and their memory reused) before the next.
   */
  static NDArray inPasses(int rows, int perPass, Pass pass) {
    NDList parts = new NDList();
    for (int from = 0; from < rows; from += perPass) {
      try (NDScope scope = new NDScope()) {
        NDArray part = pass.over(from, Math.min(rows, from + perPass));
        NDScope.unregister(part);
        parts.add(part);
      }
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    try (parts) {
      return NDArrays.concat(parts);
    }
  }

  /** 0 .. n-1. */
  static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  /** Fisher-Yates shuffle in place. */
  static void shuffle(int[] order, Random random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
  }
}
