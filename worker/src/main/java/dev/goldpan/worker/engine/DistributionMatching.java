package dev.goldpan.worker.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.goldpan.api.v1alpha1.ModelSpec;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.Networks;
import java.util.Random;

/**
 * Distribution matching (Zhao and Bilen, "Dataset Condensation with Distribution Matching", WACV
 * 2023). Each iteration draws a fresh randomly initialised network psi and, per class c, a real
 * batch B_c from the class's active pool, augments both with the same DSA parameters, and minimises
 *
 * <pre>L = sum_c || mean_{x in B_c} psi(A(x)) - mean_{s in S_c} psi(A(s)) ||^2</pre>
 *
 * by SGD with momentum 0.5 on the synthetic images S. All classes go through the network in one
 * batched forward pass per set (instance norm is per sample, so this equals one pass per class).
 */
public final class DistributionMatching extends Distiller {

  /**
   * @param manager owns the synthetic images for the life of this object
   * @param real the normalised real training set
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
      ImageSet real,
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

  /** One iteration; returns the loss before the update. */
  @Override
  public float step() {
    Random random = iterationRandom();
    try (NDScope scope = new NDScope()) {
      Network network = Networks.create(manager, model, shape, false);
      if (causalSelection != null && causalSelection.due(iteration)) {
        pools = causalSelection.select(manager, network, real, synthetic, iteration);
      }
      NDArray realBatch = drawRealBatch(random);
      DsaAugmentation.Plan plan =
          augmentation == null ? null : augmentation.sample(random, pools.length);
      float loss;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray lossArray = loss(network, realBatch, synthetic, plan);
        collector.backward(lossArray);
        loss = lossArray.getFloat();
      }
      update();
      iteration++;
      return loss;
    }
  }

  /**
   * The DM loss of {@code syntheticImages} against {@code realBatch} (both class-major) under
   * {@code network}, with the same augmentation plan applied to both.
   */
  NDArray loss(
      Network network, NDArray realBatch, NDArray syntheticImages, DsaAugmentation.Plan plan) {
    long classes = pools.length;
    NDArray realMean;
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      NDArray augmentedReal = plan == null ? realBatch : augmentation.apply(plan, realBatch);
      NDArray embedded = network.embed(augmentedReal);
      realMean = embedded.reshape(classes, -1, embedded.getShape().get(1)).mean(new int[] {1});
    } finally {
      JniUtils.setGradMode(recording);
    }
    NDArray augmentedSynthetic =
        plan == null ? syntheticImages : augmentation.apply(plan, syntheticImages);
    NDArray embedded = network.embed(augmentedSynthetic);
    NDArray syntheticMean =
        embedded.reshape(classes, -1, embedded.getShape().get(1)).mean(new int[] {1});
    return realMean.sub(syntheticMean).square().sum();
  }

  /**
   * Per class, {@code batchReal} samples of its pool, without replacement when the pool is large
   * enough and with replacement otherwise; class-major.
   */
  NDArray drawRealBatch(Random random) {
    int[] picked = new int[pools.length * batchReal];
    for (int c = 0; c < pools.length; c++) {
      System.arraycopy(
          drawFromPool(pools[c], batchReal, random), 0, picked, c * batchReal, batchReal);
    }
    return Batches.images(manager, real, picked, 0, picked.length);
  }
}
