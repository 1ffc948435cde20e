package dev.goldpan.worker.engine;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
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
 * Gradient matching: DC (Zhao, Mopuri and Bilen, "Dataset Condensation with Gradient Matching",
 * ICLR 2021) and, with an augmentation, DSA (Zhao and Bilen, "Dataset Condensation with
 * Differentiable Siamese Augmentation", ICML 2021).
 *
 * <p>One iteration draws a fresh randomly initialised trainable ConvNet and runs {@code outer}
 * steps. Each outer step draws, per class c, a real batch B_c from the class's active pool, applies
 * one DSA plan alike to B_c and to the synthetic images S_c (DSA only), and minimises
 *
 * <pre>
 * D = sum_c sum_W sum_rows (1 - cos(g_S[row], g_B[row])),  cos(a, b) = a.b / (|a| |b| + 1e-6)
 * </pre>
 *
 * by one SGD step (momentum 0.5) on S, where g_X = d mean CE(net(X), c) / dW for each convolution
 * and classifier weight W, taken row by row (one row per output channel or class; biases and
 * instance-norm scales and shifts count for nothing). Between outer steps, but not after the last,
 * the network trains for {@code inner} epochs on the current synthetic set (plain SGD, lr 0.01, as
 * the reference main.py builds it, batch 256, DSA per image). d D / d S is a second-order
 * derivative; {@link ConvNetGradients} provides g_S as a differentiable function of S.
 */
public final class GradientMatching extends Distiller {

  private static final float NETWORK_LEARNING_RATE = 0.01f;
  private static final int NETWORK_BATCH = 256;

  /** Synthetic images per explicit pass; classes are batched up to this many. */
  private static final int IMAGES_PER_CHUNK = 256;

  /** Keeps cos finite for all-zero rows, as in the reference. */
  private static final float COSINE_EPSILON = 1e-6f;

  private int outerLoop;
  private int innerLoop;

  /**
   * @param manager owns the synthetic images for the life of this object
   * @param model a ConvNet
   * @param real the real training set on the device
   * @param initial the normalised initial synthetic images, class-major ([K * ipc, C, H, W])
   * @param pools per class, the indices into {@code real} that batches are drawn from
   * @param augmentation DSA (the dsa algorithm), or null for none (dc)
   * @param seed with the iteration number, fixes every random choice of that iteration, so a run
   *     resumed from a checkpoint continues exactly as the uninterrupted run would
   * @param classIds the label of each class of {@code pools}, in order
   */
  public GradientMatching(
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
    int[] loops = loops(imagesPerClass);
    this.outerLoop = loops[0];
    this.innerLoop = loops[1];
  }

  /**
   * (outer, inner) loops for {@code imagesPerClass}. The reference tabulates 1 -> (1, 1), 10 ->
   * (10, 50), 20 -> (20, 25), 30 -> (30, 20), 40 -> (40, 15) and 50 -> (50, 10); other sizes take
   * the entry of the largest tabulated size not above them, and 2..9 that of 10 (the reference
   * keeps the single outer step for one image per class only).
   */
  static int[] loops(int imagesPerClass) {
    if (imagesPerClass == 1) {
      return new int[] {1, 1};
    }
    int[][] table = {{10, 10, 50}, {20, 20, 25}, {30, 30, 20}, {40, 40, 15}, {50, 50, 10}};
    int[] chosen = table[0];
    for (int[] entry : table) {
      if (imagesPerClass >= entry[0]) {
        chosen = entry;
      }
    }
    return new int[] {chosen[1], chosen[2]};
  }

  /**
   * Runs {@code outer} outer steps with {@code inner} epochs between them instead (small tests).
   */
  GradientMatching withLoops(int outer, int inner) {
    outerLoop = outer;
    innerLoop = inner;
    return this;
  }

  /**
   * One iteration; {@link #loss()} is then the matching loss averaged over its outer steps (before
   * each update).
   */
  @Override
  public void step() {
    Random random = iterationRandom();
    try (NDScope scope = new NDScope()) {
      Network network = Networks.create(manager, model, shape, true);
      Sgd sgd = new Sgd(network.parameters(), NETWORK_LEARNING_RATE, 0f, 0f);
      ConvNetGradients gradients = new ConvNetGradients(network, model.getDepth(), shape);
      if (causalSelection != null && causalSelection.due(iteration)) {
        pools =
            causalSelection.select(
                synthetic,
                iteration,
                (c, pool, classImages) ->
                    CausalSelection.ClassEffects.withoutEmbeddings(
                        GradientMatchingEffects.of(
                            manager, gradients, real, pool, classId(c), classImages)));
      }
      NDArray loss = manager.zeros(new Shape());
      for (int outer = 0; outer < outerLoop; outer++) {
        try (NDScope outerScope = new NDScope()) {
          matchingStep(network, gradients, random, loss);
        }
        if (outer < outerLoop - 1) {
          trainNetwork(network, sgd, random);
        }
      }
      keepLoss(loss.divi(outerLoop));
      iteration++;
    }
  }

  /** One update of the synthetic images; adds the matching loss before it to {@code loss}. */
  private void matchingStep(
      Network network, ConvNetGradients gradients, Random random, NDArray loss) {
    int classes = pools.length;
    NDArray[] realBatches = new NDArray[classes];
    for (int c = 0; c < classes; c++) {
      int[] picked = drawFromPool(pools[c], batchReal, random);
      realBatches[c] = real.images(picked);
    }
    DsaAugmentation.Plan[] plans = classPlans(random);
    int classesPerChunk = Math.max(1, IMAGES_PER_CHUNK / imagesPerClass);
    for (int from = 0; from < classes; from += classesPerChunk) {
      int to = Math.min(classes, from + classesPerChunk);
      try (NDScope chunkScope = new NDScope()) {
        List<NDArray> realGradients = realGradients(network, realBatches, plans, from, to);
        int[] labels = new int[to - from];
        int[] rows = new int[to - from];
        for (int c = from; c < to; c++) {
          labels[c - from] = classId(c);
          rows[c - from] = imagesPerClass;
        }
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          NDArray images =
              synthetic.get((long) from * imagesPerClass + ":" + (long) to * imagesPerClass);
          NDArray distance =
              distance(
                  gradients.weightGradients(augment(images, plans, from, rows), labels),
                  realGradients);
          collector.backward(distance);
          loss.addi(distance.stopGradient());
        }
      }
    }
    update();
  }

  /**
   * g_B of classes [from, to), [classes, ...weight shape] per weight, without a graph. These need
   * no second order, so plain autograd through the network gives them, one backward pass per class
   * (faster than the explicit pass on a full real batch).
   */
  private List<NDArray> realGradients(
      Network network, NDArray[] realBatches, DsaAugmentation.Plan[] plans, int from, int to) {
    List<NDArray> weights = ConvNetGradients.matchedWeights(network, model.getDepth());
    List<NDList> perClass = new ArrayList<>();
    for (int k = 0; k < weights.size(); k++) {
      perClass.add(new NDList(to - from));
    }
    for (int c = from; c < to; c++) {
      NDList gradients = new NDList(weights.size());
      try (NDScope classScope = new NDScope()) {
        NDArray batch =
            augment(realBatches[c], plans, c, new int[] {(int) realBatches[c].getShape().get(0)});
        NDArray labels =
            manager.full(new Shape(batch.getShape().get(0)), classId(c), DataType.INT64);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
          collector.backward(ClassifierTraining.crossEntropy(network.logits(batch), labels).mean());
        }
        for (NDArray weight : weights) {
          gradients.add(weight.getGradient().expandDims(0).duplicate());
        }
        NDScope.unregister(gradients);
        for (NDArray parameter : network.parameters()) {
          JniUtils.zeroGrad((PtNDArray) parameter);
        }
      }
      for (int k = 0; k < weights.size(); k++) {
        NDScope.register(gradients.get(k));
        perClass.get(k).add(gradients.get(k));
      }
    }
    List<NDArray> gradients = new ArrayList<>();
    for (NDList list : perClass) {
      gradients.add(list.size() == 1 ? list.singletonOrThrow() : NDArrays.concat(list, 0));
    }
    return gradients;
  }

  /**
   * The matching distance between synthetic and real gradients, each a list of [groups, ...param
   * shape] arrays in the same order: per group and parameter, the sum over output rows of 1 -
   * cos(synthetic row, real row). Parameters with fewer than two dimensions (biases, norm scales
   * and shifts) contribute 0.
   */
  static NDArray distance(List<NDArray> synthetic, List<NDArray> real) {
    NDArray total = null;
    for (int i = 0; i < synthetic.size(); i++) {
      Shape shape = synthetic.get(i).getShape();
      if (shape.dimension() < 3) {
        continue;
      }
      long groups = shape.get(0);
      long rows = shape.get(1);
      NDArray s = synthetic.get(i).reshape(groups, rows, -1);
      NDArray r = real.get(i).reshape(groups, rows, -1);
      int[] last = {2};
      NDArray cosine = s.mul(r).sum(last).div(s.norm(last).mul(r.norm(last)).add(COSINE_EPSILON));
      NDArray term = cosine.neg().add(1f).sum();
      total = total == null ? term : total.add(term);
    }
    if (total == null) {
      throw new IllegalArgumentException("no weight with at least two dimensions to match");
    }
    return total;
  }

  /**
   * Trains the network for {@code innerLoop} epochs on the current synthetic images (detached),
   * shuffled, in batches of {@value #NETWORK_BATCH}, with DSA per image when augmenting.
   */
  private void trainNetwork(Network network, Sgd sgd, Random random) {
    int count = (int) synthetic.getShape().get(0);
    long[] labels = new long[count];
    for (int i = 0; i < count; i++) {
      labels[i] = classId(i / imagesPerClass);
    }
    try (NDScope trainingScope = new NDScope()) {
      NDArray images = synthetic.stopGradient();
      NDArray targets = manager.create(labels);
      int[] order = Batches.identity(count);
      for (int epoch = 0; epoch < innerLoop; epoch++) {
        Batches.shuffle(order, random);
        for (int from = 0; from < count; from += NETWORK_BATCH) {
          int to = Math.min(count, from + NETWORK_BATCH);
          try (NDScope scope = new NDScope()) {
            long[] rows = new long[to - from];
            for (int i = from; i < to; i++) {
              rows[i - from] = order[i];
            }
            NDIndex picked = new NDIndex("{}", manager.create(rows));
            NDArray batch = images.get(picked);
            if (augmentation != null) {
              batch = augmentation.apply(augmentation.sample(random, to - from), batch);
            }
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
              collector.backward(
                  ClassifierTraining.crossEntropy(network.logits(batch), targets.get(picked))
                      .mean());
            }
            sgd.step();
          }
        }
      }
    }
  }
}
