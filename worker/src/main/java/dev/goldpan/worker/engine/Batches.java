package dev.goldpan.worker.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.goldpan.worker.data.ImageSet;
import java.nio.FloatBuffer;
import java.util.Random;

/** Copies images and labels from host memory into device arrays. */
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
