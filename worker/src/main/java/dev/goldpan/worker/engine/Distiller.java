package dev.goldpan.worker.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.goldpan.api.v1alpha1.ModelSpec;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.NetworkShape;
import java.nio.FloatBuffer;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * A distillation algorithm that learns the synthetic set one iteration at a time (distribution
 * matching or gradient matching): the synthetic images and their SGD momentum (0.5), the per-class
 * pools real batches come from, and what the distill stage needs to checkpoint and resume. Each
 * iteration's random choices derive from the seed and the iteration number alone, so {@link
 * #restore} of a {@link #state} continues exactly as the uninterrupted run would.
 */
public abstract class Distiller implements AutoCloseable {

  private static final float MOMENTUM = 0.5f;

  protected final NDManager manager;
  protected final ModelSpec model;
  protected final NetworkShape shape;
  protected final DevicePool real;
  protected final DsaAugmentation augmentation;
  protected final int imagesPerClass;
  protected final int batchReal;
  protected final NDArray synthetic;
  protected int[][] pools;
  protected CausalSelection causalSelection;
  protected int iteration;
  private final float learningRate;
  private final NDArray velocity;
  private final long seed;
  private final int[] classIds;
  private NDArray lastLoss;

  /** What a checkpoint needs to continue exactly where a run is. */
  public record State(int iteration, float[] synthetic, float[] velocity, int[][] pools) {}

  /**
   * @param manager owns the synthetic images for the life of this object
   * @param real the real training set on the device
   * @param initial the normalised initial synthetic images, class-major ([K * ipc, C, H, W])
   * @param pools per class, the indices into {@code real} that batches are drawn from
   * @param augmentation DSA, or null for none
   * @param seed with the iteration number, fixes every random choice of that iteration
   * @param classIds the label of each class of {@code pools}, in order
   */
  protected Distiller(
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
    this.manager = manager;
    this.model = model;
    this.real = real;
    this.shape =
        new NetworkShape(real.channels(), real.height(), real.width(), classCount(real, classIds));
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

  /** One iteration. */
  public abstract void step();

  /**
   * The loss of the last iteration (NaN before the first); reading it waits for the device, so
   * callers read it at their reporting cadence, not every iteration.
   */
  public float loss() {
    return lastLoss == null ? Float.NaN : lastLoss.getFloat();
  }

  /** Keeps {@code loss}, a scalar of the running iteration, for {@link #loss()} on the device. */
  protected void keepLoss(NDArray loss) {
    NDArray kept = loss.stopGradient();
    NDScope.unregister(kept);
    if (lastLoss != null) {
      lastLoss.close();
    }
    lastLoss = kept;
  }

  /** Iterations done so far. */
  public int iteration() {
    return iteration;
  }

  /** Per class, the indices into the real set that batches are drawn from now. */
  public int[][] pools() {
    return pools;
  }

  public NDArray syntheticImages() {
    return synthetic;
  }

  /** Re-selects the active pools by causal effect at the iterations it asks for. */
  public void setCausalSelection(CausalSelection causalSelection) {
    this.causalSelection = causalSelection;
  }

  /** The generator of the coming iteration's random choices; also seeds the engine's. */
  protected Random iterationRandom() {
    Random random =
        new Random(new SplittableRandom(seed ^ (iteration * 0x9E3779B97F4A7C15L)).nextLong());
    Engine.getInstance().setRandomSeed(random.nextInt(Integer.MAX_VALUE));
    return random;
  }

  /**
   * The classes every network is built for: all of the data set's, also when this distiller has
   * only a shard of them, so that a shard's networks are the ones the unsharded run would draw.
   */
  private static int classCount(DevicePool real, int[] classIds) {
    int classes = 0;
    for (int label : real.labels()) {
      classes = Math.max(classes, label + 1);
    }
    for (int id : classIds) {
      classes = Math.max(classes, id + 1);
    }
    return classes;
  }

  /** The data set's label of this distiller's class {@code c}. */
  protected int classId(int c) {
    return classIds[c];
  }

  /**
   * {@code count} members of {@code pool} drawn without replacement, or the whole pool in random
   * order when it has fewer (as the reference does).
   */
  public static int[] drawFromPool(int[] pool, int count, Random random) {
    if (pool.length == 0) {
      throw new IllegalStateException("a class has no real samples left");
    }
    int[] copy = pool.clone();
    int picked = Math.min(count, copy.length);
    for (int i = 0; i < picked; i++) {
      int j = i + random.nextInt(copy.length - i);
      int swap = copy[i];
      copy[i] = copy[j];
      copy[j] = swap;
    }
    return picked == copy.length ? copy : java.util.Arrays.copyOf(copy, picked);
  }

  /**
   * Per class, one DSA plan of its own (its own transform and parameters), as the reference seeds
   * each class separately; null without augmentation.
   */
  protected DsaAugmentation.Plan[] classPlans(Random random) {
    if (augmentation == null) {
      return null;
    }
    DsaAugmentation.Plan[] plans = new DsaAugmentation.Plan[pools.length];
    for (int c = 0; c < plans.length; c++) {
      plans[c] = augmentation.sample(random, 1);
    }
    return plans;
  }

  /**
   * Applies {@code plans[from + k]} to the k-th block of {@code rows[k]} rows of {@code images}
   * (one pass per transform); {@code images} unchanged without augmentation.
   */
  protected NDArray augment(NDArray images, DsaAugmentation.Plan[] plans, int from, int[] rows) {
    if (plans == null) {
      return images;
    }
    return augmentation.applyPerBlock(
        java.util.Arrays.copyOfRange(plans, from, from + rows.length), images, rows);
  }

  /** SGD with momentum on the synthetic images: v = 0.5 v + g; S -= lr v. */
  protected void update() {
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

  public State state() {
    return new State(iteration, synthetic.toFloatArray(), velocity.toFloatArray(), pools);
  }

  /** Continues from {@code state} (same data, spec and seed as the run that saved it). */
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

  /** The current synthetic images, copied to the host, with their class-major labels. */
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
    if (lastLoss != null) {
      lastLoss.close();
    }
  }
}
