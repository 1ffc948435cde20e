package dev.goldpan.worker.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.goldpan.api.v1alpha1.ModelSpec;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import java.nio.FloatBuffer;
import java.util.Random;
import java.util.SplittableRandom;

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
public final class DistributionMatching implements Distiller {

  private static final float MOMENTUM = 0.5f;

  private final NDManager manager;
  private final ModelSpec model;
  private final NetworkShape shape;
  private final ImageSet real;
  private final DsaAugmentation augmentation;
  private final int imagesPerClass;
  private final int batchReal;
  private final float learningRate;
  private final NDArray synthetic;
  private final NDArray velocity;
  private final long seed;
  private final int[] classIds;
  private int[][] pools;
  private CausalSelection causalSelection;
  private int iteration;

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
    this.manager = manager;
    this.model = model;
    this.real = real;
    this.shape = new NetworkShape(real.channels(), real.height(), real.width(), pools.length);
    this.pools = pools;
    this.augmentation = augmentation;
    this.imagesPerClass = initial.size() / pools.length;
    this.batchReal = batchReal;
    this.learningRate = learningRate;
    this.seed = seed;
    this.classIds = classIds.clone();
    this.synthetic =
        manager.create(
            FloatBuffer.wrap(initial.pixels().clone()),
            new Shape(initial.size(), initial.channels(), initial.height(), initial.width()));
    this.synthetic.setRequiresGradient(true);
    this.velocity = synthetic.zerosLike();
  }

  /** Per class, the indices into the real set that batches are drawn from now. */
  public int[][] pools() {
    return pools;
  }

  public NDArray syntheticImages() {
    return synthetic;
  }

  /** The momentum buffer of the synthetic images (for checkpoints). */
  public NDArray velocity() {
    return velocity;
  }

  /** Re-selects the active pools by causal effect at the iterations it asks for. */
  @Override
  public void setCausalSelection(CausalSelection causalSelection) {
    this.causalSelection = causalSelection;
  }

  /** Iterations done so far. */
  @Override
  public int iteration() {
    return iteration;
  }

  /** One iteration; returns the loss before the update. */
  @Override
  public float step() {
    Random random =
        new Random(new SplittableRandom(seed ^ (iteration * 0x9E3779B97F4A7C15L)).nextLong());
    Engine.getInstance().setRandomSeed(random.nextInt(Integer.MAX_VALUE));
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

  /** What a checkpoint needs to continue exactly where this run is. */
  public record State(int iteration, float[] synthetic, float[] velocity, int[][] pools) {}

  @Override
  public State state() {
    return new State(iteration, synthetic.toFloatArray(), velocity.toFloatArray(), pools);
  }

  /** Continues from {@code state} (same data, spec and seed as the run that saved it). */
  @Override
  public void restore(State state) {
    if (state.synthetic().length != synthetic.size()
        || state.velocity().length != velocity.size()) {
      throw new IllegalArgumentException("checkpoint shapes do not match the synthetic set");
    }
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      synthetic.set(FloatBuffer.wrap(state.synthetic()));
      velocity.set(FloatBuffer.wrap(state.velocity()));
    } finally {
      JniUtils.setGradMode(recording);
    }
    iteration = state.iteration();
    pools = state.pools();
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
      int[] pool = pools[c];
      if (pool.length == 0) {
        throw new IllegalStateException("class " + c + " has no real samples left");
      }
      if (pool.length >= batchReal) {
        int[] copy = pool.clone();
        for (int i = 0; i < batchReal; i++) {
          int j = i + random.nextInt(copy.length - i);
          int swap = copy[i];
          copy[i] = copy[j];
          copy[j] = swap;
          picked[c * batchReal + i] = copy[i];
        }
      } else {
        for (int i = 0; i < batchReal; i++) {
          picked[c * batchReal + i] = pool[random.nextInt(pool.length)];
        }
      }
    }
    return Batches.images(manager, real, picked, 0, picked.length);
  }

  /** SGD with momentum on the synthetic images: v = 0.5 v + g; S -= lr v. */
  private void update() {
    boolean recording = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      velocity.muli(MOMENTUM).addi(synthetic.getGradient());
      synthetic.subi(velocity.mul(learningRate));
      JniUtils.zeroGrad((PtNDArray) synthetic);
    } finally {
      JniUtils.setGradMode(recording);
    }
  }

  /** The current synthetic images, copied to the host, with their class-major labels. */
  @Override
  public ImageSet snapshot() {
    float[] pixels = synthetic.toFloatArray();
    int[] labels = new int[(int) synthetic.getShape().get(0)];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = classIds[i / imagesPerClass];
    }
    return new ImageSet(pixels, labels, shape.channels(), shape.height(), shape.width());
  }

  @Override
  public void close() {
    synthetic.close();
    velocity.close();
  }
}
