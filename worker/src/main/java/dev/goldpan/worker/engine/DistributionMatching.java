package dev.goldpan.worker.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.goldpan.api.v1alpha1.ModelSpec;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.Networks;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Distribution matching (Zhao and Bilen, "Dataset Condensation with Distribution Matching", WACV
 * 2023). Each iteration draws a fresh randomly initialised network psi and, per class c, a real
 * batch B_c from the class's active pool, augments B_c and S_c with class c's own DSA transform (as
 * the reference seeds each class separately), and minimises
 *
 * <pre>L = sum_c || mean_{x in B_c} psi(A(x)) - mean_{s in S_c} psi(A(s)) ||^2</pre>
 *
 * by SGD with momentum 0.5 on the synthetic images S. All classes go through the network in one
 * batched forward pass per set (instance norm is per sample, so this equals one pass per class).
 */
public final class DistributionMatching extends Distiller {

  /**
   * @param manager owns the synthetic images for the life of this object
   * @param real the real training set on the device
   * @param initial the normalised initial synthetic images, class-major ([K * ipc, C, H, W])
   * @param pools per class, the indices into {@code real} that batches are drawn from
   * @param augmentation DSA, or null for none
   * @param seed with the iteration number, fixes every random choice of that iteration, so a run
   *     resumed from a checkpoint continues exactly as the uninterrupted run would
   * @param classIds the label of each class of {@code pools}, in order
   */
  public DistributionMatching(
      NDManager manager,
      ModelSpec model,
      DevicePool real,
      ImageSet initial,
      int[][] pools,
      DsaAugmentation augmentation,
      int batchReal,
      float learningRate,
      long seed,
      int[] classIds) {
    super(
        manager,
        model,
        real,
        initial,
        pools,
        augmentation,
        batchReal,
        learningRate,
        seed,
        classIds);
  }

  /**
   * Whether the real batches' embeddings are computed in bfloat16 ({@link
   * Network#embedInBfloat16}); they are targets only, no gradient flows through them. Each
   * iteration's network then has its parameters rounded to bfloat16 values, so that the synthetic
   * side (float32, with gradients) computes the same function.
   */
  private boolean realInBfloat16;

  /** Computes the real batches' embeddings in bfloat16 from now on (or in float32 again). */
  public void setRealInBfloat16(boolean realInBfloat16) {
    this.realInBfloat16 = realInBfloat16;
  }

  /** Whether the real batches' embeddings are computed in bfloat16. */
  public boolean realInBfloat16() {
    return realInBfloat16;
  }

  /** One iteration; {@link #loss()} is then the loss before its update. */
  @Override
  public void step() {
    Random random = iterationRandom();
    try (NDScope scope = new NDScope()) {
      Network network = Networks.create(manager, model, shape, false);
      if (realInBfloat16) {
        // The same function on both sides: only the real side's activations are rounded.
        network.roundParametersToBfloat16();
      }
      if (causalSelection != null && causalSelection.due(iteration)) {
        pools = reselect(random);
      }
      int[][] picked = drawRealBatch(random);
      DsaAugmentation.Plan[] plans = classPlans(random);
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray loss = loss(network, picked, synthetic, plans);
        collector.backward(loss);
        keepLoss(loss);
      }
      update();
      iteration++;
    }
  }

  /**
   * The active pools from the DM effects averaged over {@link CausalSelection#networks()} fresh
   * networks, each with its own per-class DSA transforms (the distillation's augmentation).
   */
  private int[][] reselect(Random random) {
    int count = causalSelection.networks();
    Network[] networks = new Network[count];
    DsaAugmentation.Plan[][] plans = new DsaAugmentation.Plan[count][];
    for (int k = 0; k < count; k++) {
      networks[k] = Networks.create(manager, model, shape, false);
      plans[k] = classPlans(random);
    }
    return causalSelection.select(
        synthetic,
        iteration,
        (c, pool, classImages) -> {
          float[] mean = new float[pool.length];
          List<float[]> deviations = new ArrayList<>(count);
          int dimensions = 0;
          for (int k = 0; k < count; k++) {
            DsaAugmentation.Plan plan = plans[k] == null ? null : plans[k][c];
            CausalSelection.ClassEffects effects =
                CausalEffects.distributionMatching(
                    networks[k],
                    images -> plan == null ? images : augmentation.apply(plan, images),
                    real,
                    pool,
                    classImages);
            for (int i = 0; i < mean.length; i++) {
              mean[i] += effects.effects()[i] / count;
            }
            deviations.addAll(effects.deviations());
            dimensions = effects.dimensions();
          }
          return new CausalSelection.ClassEffects(mean, deviations, dimensions);
        });
  }

  /**
   * The DM loss of {@code syntheticImages} (class-major) against the real samples {@code picked[c]}
   * of each class c under {@code network}, with class c's plan applied to both.
   */
  NDArray loss(
      Network network, int[][] picked, NDArray syntheticImages, DsaAugmentation.Plan[] plans) {
    int classes = pools.length;
    int[] realRows = new int[classes];
    int[] indices = new int[java.util.Arrays.stream(picked).mapToInt(p -> p.length).sum()];
    for (int c = 0, at = 0; c < classes; c++) {
      realRows[c] = picked[c].length;
      System.arraycopy(picked[c], 0, indices, at, picked[c].length);
      at += picked[c].length;
    }
    NDArray realMeans;
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      NDArray realBatch = augment(real.images(indices), plans, 0, realRows);
      realMeans = classMeans(embedInChunks(network, realBatch, realInBfloat16), realRows);
    } finally {
      JniUtils.setGradMode(recording);
    }
    int[] syntheticRows = new int[classes];
    java.util.Arrays.fill(syntheticRows, imagesPerClass);
    NDArray syntheticMeans =
        classMeans(network.embed(augment(syntheticImages, plans, 0, syntheticRows)), syntheticRows);
    return realMeans.sub(syntheticMeans).square().sum();
  }

  /**
   * psi of every row of {@code images} without gradients, {@link Network#rowsPerPass()} rows at a
   * time, each chunk's activations freed before the next: the same values as one pass, in a
   * fraction of the memory, which stays in the CPU's cache and is reused by the allocator instead
   * of mapping fresh pages for every layer.
   */
  private static NDArray embedInChunks(Network network, NDArray images, boolean bfloat16) {
    return Batches.inPasses(
        Math.toIntExact(images.getShape().get(0)),
        network.rowsPerPass(),
        (from, to) -> {
          NDArray chunk = images.get(from + ":" + to);
          return bfloat16 ? network.embedInBfloat16(chunk) : network.embed(chunk);
        });
  }

  /** Per block of {@code rows[c]} consecutive rows of {@code embedded}, its mean: [blocks, D]. */
  private static NDArray classMeans(NDArray embedded, int[] rows) {
    boolean equal = java.util.Arrays.stream(rows).allMatch(r -> r == rows[0]);
    if (equal) {
      return embedded.reshape(rows.length, rows[0], -1).mean(new int[] {1});
    }
    NDList means = new NDList(rows.length);
    long start = 0;
    for (int rowCount : rows) {
      means.add(embedded.get(start + ":" + (start + rowCount)).mean(new int[] {0}));
      start += rowCount;
    }
    return NDArrays.stack(means);
  }

  /**
   * Per class, {@code batchReal} samples of its pool drawn without replacement (the whole pool when
   * it is smaller).
   */
  int[][] drawRealBatch(Random random) {
    int[][] picked = new int[pools.length][];
    for (int c = 0; c < pools.length; c++) {
      picked[c] = drawFromPool(pools[c], batchReal, random);
    }
    return picked;
  }
}
