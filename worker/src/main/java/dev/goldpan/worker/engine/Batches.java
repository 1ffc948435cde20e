package dev.goldpan.worker.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.goldpan.worker.data.ImageSet;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

/** Copies images and labels from host memory into device arrays, and splits work into passes. */
final class Batches {

  /**
   * Direct memory that image batches pass through on their way into arrays: one buffer per thread,
   * reused, grown when a batch needs more. DJL copies an array from the Java heap into a fresh
   * direct buffer that the array then shares on the CPU, and that buffer is freed only when the
   * garbage collector finds it: streaming 1 M images through scoring held 473 MiB of them.
   */
  private static final ThreadLocal<ByteBuffer> STAGING =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(0));

  private Batches() {}

  /**
   * Images at {@code indices[from, to)} as an [n, C, H, W] array, in memory the array owns (its
   * values pass through this thread's staging buffer, which is free again when this returns).
   */
  static NDArray images(NDManager manager, ImageSet set, int[] indices, int from, int to) {
    float[] values = set.values(indices, from, to);
    int bytes = Math.multiplyExact(values.length, Float.BYTES);
    ByteBuffer staging = STAGING.get();
    if (staging.capacity() < bytes) {
      staging = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
      STAGING.set(staging);
    }
    staging.clear().limit(bytes);
    staging.asFloatBuffer().put(values);
    Shape shape = new Shape(to - from, set.channels(), set.height(), set.width());
    try (NDArray shared = manager.create(staging, shape, DataType.FLOAT32)) {
      return shared.duplicate();
    }
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
