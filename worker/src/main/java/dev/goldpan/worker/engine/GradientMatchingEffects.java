package dev.goldpan.worker.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Individual treatment effects of real samples on gradient matching (DESIGN §3 step 4), to first
 * order. For one class, with g_j the gradient of sample j's cross-entropy with respect to the
 * matched weights, g_P the mean over the pool P (n samples) and L(P) = D(g_S(S), g_P) the matching
 * distance, removing sample i moves g_P by (g_P - g_i)/(n - 1), so to first order
 *
 * <pre>
 * ITE_i = || dL(P)/dS - dL(P \ {i})/dS ||  ~  1/(n-1) || d/dS [ dD/dg_P (g_S(S), g_P) . (g_P - g_i) ] ||
 * </pre>
 *
 * <p>Per output row, with a the row of g_S, b that of g_P, w that of g_P - g_i and p = |a| |b| +
 * 1e-6, the directional derivative is {@code dD/db . w = -(a.w / p - (a.b) |a| (b.w) / (|b| p^2))}.
 * Its gradient with respect to S runs through the explicit backward pass of {@link
 * ConvNetGradients}; for all candidates at once the class's synthetic images are replicated, once
 * per candidate (instance norm is per sample, so each replica's gradient is its candidate's), in
 * chunks that bound memory.
 */
final class GradientMatchingEffects {

  /** Images per pass, real or replicated synthetic. */
  private static final int IMAGES_PER_CHUNK = 256;

  private static final float COSINE_EPSILON = 1e-6f;

  /** Stands in for |b| of an all-zero row of g_P, whose terms vanish anyway (a.b = b.w = 0). */
  private static final float TINY = 1e-30f;

  private GradientMatchingEffects() {}

  /**
   * The first-order ITE of every sample of {@code pool} (indices into {@code real}, all of class
   * {@code label}) on the matching distance of {@code classImages} [ipc, C, H, W], the class's
   * synthetic images, under the network that {@code gradients} reads.
   */
  static float[] of(
      NDManager manager,
      ConvNetGradients gradients,
      DevicePool real,
      int[] pool,
      int label,
      NDArray classImages) {
    int n = pool.length;
    float[] effects = new float[n];
    if (n < 2) {
      return effects;
    }
    List<NDArray> poolGradients = poolMean(manager, gradients, real, pool, label);
    try {
      long images = classImages.getShape().get(0);
      int perChunk = (int) Math.max(1, IMAGES_PER_CHUNK / images);
      for (int from = 0; from < n; from += perChunk) {
        int to = Math.min(n, from + perChunk);
        try (NDScope scope = new NDScope()) {
          float[] norms =
              chunk(manager, gradients, real, pool, from, to, label, classImages, poolGradients);
          for (int k = 0; k < norms.length; k++) {
            effects[from + k] = norms[k] / (n - 1);
          }
        }
      }
    } finally {
      poolGradients.forEach(NDArray::close);
    }
    return effects;
  }

  /** g_P: the mean per-sample gradient over the pool, [1, ...weight shape] per weight. */
  private static List<NDArray> poolMean(
      NDManager manager, ConvNetGradients gradients, DevicePool real, int[] pool, int label) {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    List<NDArray> sum = null;
    try {
      for (int from = 0; from < pool.length; from += IMAGES_PER_CHUNK) {
        int to = Math.min(pool.length, from + IMAGES_PER_CHUNK);
        try (NDScope scope = new NDScope()) {
          List<NDArray> mean =
              gradients.weightGradients(real.images(pool, from, to), new int[] {label});
          List<NDArray> next = new ArrayList<>();
          for (int k = 0; k < mean.size(); k++) {
            NDArray part = mean.get(k).mul((float) (to - from) / pool.length);
            next.add(sum == null ? part : sum.get(k).add(part));
          }
          if (sum != null) {
            sum.forEach(NDArray::close);
          }
          next.forEach(NDScope::unregister);
          sum = next;
        }
      }
    } finally {
      JniUtils.setGradMode(recording);
    }
    return sum;
  }

  /** ||d/dS [dD/dg_P . (g_P - g_i)]|| for candidates i in [from, to) of the pool. */
  private static float[] chunk(
      NDManager manager,
      ConvNetGradients gradients,
      DevicePool real,
      int[] pool,
      int from,
      int to,
      int label,
      NDArray classImages,
      List<NDArray> poolGradients) {
    int replicas = to - from;
    int[] labels = new int[replicas];
    Arrays.fill(labels, label);
    List<NDArray> directions = new ArrayList<>();
    NDArray replicated;
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      List<NDArray> samples = gradients.weightGradients(real.images(pool, from, to), labels);
      for (int k = 0; k < samples.size(); k++) {
        directions.add(poolGradients.get(k).sub(samples.get(k)));
      }
      Shape shape = classImages.getShape();
      replicated =
          classImages
              .expandDims(0)
              .broadcast(new Shape(replicas).addAll(shape))
              .reshape(new Shape(replicas * shape.get(0)).addAll(shape.slice(1)))
              .duplicate();
    } finally {
      JniUtils.setGradMode(recording);
    }
    replicated.setRequiresGradient(true);
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      List<NDArray> synthetic = gradients.weightGradients(replicated, labels);
      NDArray total = null;
      for (int k = 0; k < synthetic.size(); k++) {
        NDArray term =
            directionalDerivative(synthetic.get(k), poolGradients.get(k), directions.get(k));
        total = total == null ? term : total.add(term);
      }
      collector.backward(total);
    }
    return replicated.getGradient().reshape(replicas, -1).norm(new int[] {1}).toFloatArray();
  }

  /**
   * sum over rows of dD/db . w for synthetic gradients {@code a} [R, rows, ...], the pool's {@code
   * b} [1, rows, ...] and directions {@code w} [R, rows, ...].
   */
  static NDArray directionalDerivative(NDArray a, NDArray b, NDArray w) {
    long replicas = a.getShape().get(0);
    long rows = a.getShape().get(1);
    NDArray a3 = a.reshape(replicas, rows, -1);
    NDArray b3 = b.reshape(1, rows, -1);
    NDArray w3 = w.reshape(replicas, rows, -1);
    int[] last = {2};
    NDArray normA = a3.norm(last);
    NDArray normB = b3.norm(last);
    NDArray p = normA.mul(normB).add(COSINE_EPSILON);
    NDArray ab = a3.mul(b3).sum(last);
    NDArray bw = w3.mul(b3).sum(last);
    NDArray aw = a3.mul(w3).sum(last);
    NDArray second = ab.mul(normA).mul(bw).div(normB.maximum(TINY).mul(p).mul(p));
    return aw.div(p).sub(second).neg().sum();
  }
}
