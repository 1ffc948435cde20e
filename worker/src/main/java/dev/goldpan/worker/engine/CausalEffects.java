package dev.goldpan.worker.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.goldpan.worker.model.Network;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Individual treatment effects of real samples on distribution matching (DESIGN §3 step 4): the
 * change of the meta-gradient dL/dS_c when sample i is removed from the pool P_c,
 *
 * <pre>ITE_i = || dL(P_c, S_c)/dS_c - dL(P_c \ {i}, S_c)/dS_c ||.</pre>
 *
 * <p>For DM this is exact in closed form. With phi_i = psi(x_i), mu the mean of phi over P_c (n
 * samples) and J the Jacobian of mean_{s in S_c} psi(s) with respect to S_c, dL/dS_c = -2 J^T (mu -
 * m_S), and removing i moves mu by (mu - phi_i)/(n - 1), so
 *
 * <pre>ITE_i = 2/(n-1) * || J^T (phi_i - mu) ||.</pre>
 *
 * <p>All vector-Jacobian products come from backward passes over S_c replicated once per vector
 * (instance norm is per sample, so replica k's gradient is exactly J^T v_k), chunked to bound
 * memory. When the embedding has fewer dimensions D than the pool has samples, J itself is built
 * from D such products and ||J^T v||^2 = v^T (J J^T) v is evaluated for every candidate; both
 * routes are exact, the cheaper one is taken.
 */
public final class CausalEffects {

  /** Images per backward pass over replicated synthetic sets. */
  private static final int IMAGES_PER_CHUNK = 1024;

  private CausalEffects() {}

  /**
   * The ITE of every sample of {@code pool} (indices into {@code real}) on the DM loss of one
   * class's synthetic images {@code synthetic} [ipc, C, H, W] under {@code augment} (the class's
   * DSA transform, applied alike to the pool and the synthetic images, or the identity) and {@code
   * network}; with the pool's embeddings minus their mean.
   */
  public static CausalSelection.ClassEffects distributionMatching(
      Network network,
      UnaryOperator<NDArray> augment,
      DevicePool real,
      int[] pool,
      NDArray synthetic) {
    int n = pool.length;
    if (n < 2) {
      return CausalSelection.ClassEffects.withoutEmbeddings(new float[n]);
    }
    UnaryOperator<NDArray> embed = images -> network.embed(augment.apply(images));
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    NDArray deviations;
    try {
      NDArray embeddings = embedPool(embed, real, pool, network.rowsPerPass());
      deviations = embeddings.sub(embeddings.mean(new int[] {0}, true));
      NDScope.unregister(deviations);
    } finally {
      JniUtils.setGradMode(recording);
    }
    try (deviations) {
      int dimensions = (int) deviations.getShape().get(1);
      float[] norms =
          n <= dimensions
              ? vjpNorms(embed, synthetic, deviations)
              : gramNorms(embed, synthetic, deviations, dimensions);
      float scale = 2f / (n - 1);
      for (int i = 0; i < n; i++) {
        norms[i] *= scale;
      }
      return new CausalSelection.ClassEffects(
          norms, List.of(deviations.toFloatArray()), dimensions);
    }
  }

  /**
   * psi(x) for every pool sample, [n, D], without gradients, in the network's passes (see {@link
   * Batches#inPasses}).
   */
  private static NDArray embedPool(
      UnaryOperator<NDArray> embed, DevicePool real, int[] pool, int perPass) {
    return Batches.inPasses(
        pool.length, perPass, (from, to) -> embed.apply(real.images(pool, from, to)));
  }

  /** ||J^T v_k|| for each row v_k of {@code vectors} [m, D]. */
  static float[] vjpNorms(UnaryOperator<NDArray> embed, NDArray synthetic, NDArray vectors) {
    int count = (int) vectors.getShape().get(0);
    float[] norms = new float[count];
    NDArray[] products = vectorJacobianProducts(embed, synthetic, vectors);
    for (int chunk = 0, k = 0; chunk < products.length; chunk++) {
      float[] values = products[chunk].square().sum(new int[] {1}).sqrt().toFloatArray();
      for (float value : values) {
        norms[k++] = value;
      }
      products[chunk].close();
    }
    return norms;
  }

  /** sqrt(v^T (J J^T) v) for each row v of {@code vectors}, with J built row by row. */
  private static float[] gramNorms(
      UnaryOperator<NDArray> embed, NDArray synthetic, NDArray vectors, long dimensions) {
    NDArray identity = vectors.getManager().eye((int) dimensions);
    NDArray[] rows = vectorJacobianProducts(embed, synthetic, identity);
    NDArray jacobian = rows.length == 1 ? rows[0] : NDArrays.concat(new NDList(rows));
    NDArray gram = jacobian.matMul(jacobian.transpose());
    NDArray squared = vectors.matMul(gram).mul(vectors).sum(new int[] {1}).maximum(0f);
    float[] norms = squared.sqrt().toFloatArray();
    identity.close();
    for (NDArray row : rows) {
      row.close();
    }
    gram.close();
    squared.close();
    return norms;
  }

  /**
   * J^T v_k for every row of {@code vectors} [m, D], each flattened to [ipc * C * H * W], in
   * chunks; returned as [chunk, ipc * C * H * W] arrays that the caller closes.
   */
  static NDArray[] vectorJacobianProducts(
      UnaryOperator<NDArray> embed, NDArray synthetic, NDArray vectors) {
    Shape shape = synthetic.getShape();
    long images = shape.get(0);
    int count = (int) vectors.getShape().get(0);
    int perChunk = (int) Math.max(1, IMAGES_PER_CHUNK / images);
    NDArray[] products = new NDArray[(count + perChunk - 1) / perChunk];
    for (int chunk = 0; chunk < products.length; chunk++) {
      int from = chunk * perChunk;
      int to = Math.min(count, from + perChunk);
      int replicas = to - from;
      try (NDScope scope = new NDScope()) {
        NDArray replicated;
        boolean recording = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
          replicated =
              synthetic
                  .expandDims(0)
                  .broadcast(new Shape(replicas).addAll(shape))
                  .reshape(new Shape(replicas * images).addAll(shape.slice(1)))
                  .duplicate();
        } finally {
          JniUtils.setGradMode(recording);
        }
        replicated.setRequiresGradient(true);
        NDArray v = vectors.get(from + ":" + to);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          NDArray embedded = embed.apply(replicated);
          NDArray means = embedded.reshape(replicas, images, -1).mean(new int[] {1});
          collector.backward(means.mul(v).sum());
        }
        NDArray product = replicated.getGradient().reshape(replicas, -1).duplicate();
        NDScope.unregister(product);
        products[chunk] = product;
      }
    }
    return products;
  }
}
