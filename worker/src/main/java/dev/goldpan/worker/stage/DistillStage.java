package dev.goldpan.worker.stage;

import ai.djl.ndarray.NDManager;
import dev.goldpan.api.v1alpha1.Algorithm;
import dev.goldpan.api.v1alpha1.Augmentation;
import dev.goldpan.api.v1alpha1.DistillationSpec;
import dev.goldpan.api.v1alpha1.SyntheticInit;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.engine.DistributionMatching;
import dev.goldpan.worker.io.ImageGrid;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.io.Npz;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.progress.Progress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Distillation (DESIGN §3 step 3): initialises the synthetic set from random kept real samples (or
 * noise) and runs distribution matching over the statically kept pools; writes {@code
 * synthetic.npz} and {@code synthetic.png}. Runs the selection first when its artifact is missing.
 */
public final class DistillStage {

  public static final String SYNTHETIC = "synthetic.npz";
  public static final String PREVIEW = "synthetic.png";
  private static final int LOSS_CURVE_POINTS = 200;

  /** What distillation produced. */
  public record DistillResult(
      int iterations,
      int syntheticImages,
      double finalLoss,
      double iterationsPerSecond,
      List<double[]> lossCurve) {}

  private final StageContext context;

  public DistillStage(StageContext context) {
    this.context = context;
  }

  public DistillResult run() {
    DistillationSpec spec = context.spec().getDistillation();
    if (spec.getAlgorithm() != Algorithm.DM) {
      throw new InvalidInputException(
          "spec.distillation.algorithm "
              + spec.getAlgorithm()
              + " is not supported by this worker yet; use dm");
    }
    if (!context.workspace().exists(SelectStage.SELECTION)) {
      new SelectStage(context).run();
    }
    PreparedData data = context.data();
    int[][] pools = SelectStage.readKept(context.workspace());
    if (pools.length != data.classes()) {
      throw new InvalidInputException(
          context.workspace().file(SelectStage.SELECTION)
              + " has "
              + pools.length
              + " classes, the data set "
              + data.classes());
    }
    Random random = context.random("distill", 0);
    ImageSet initial = initialSyntheticSet(data, pools, spec, random);
    DsaAugmentation augmentation =
        spec.getAugmentation() == Augmentation.DSA
            ? new DsaAugmentation(data.train().height(), data.train().width())
            : null;
    Progress progress = context.progress("distill");
    List<double[]> curve = new ArrayList<>();
    int every = Math.max(1, spec.getIterations() / LOSS_CURVE_POINTS);
    double loss = Double.NaN;
    long started = System.nanoTime();
    ImageSet result;
    try (NDManager manager = NDManager.newBaseManager(StageContext.device());
        DistributionMatching matching =
            new DistributionMatching(
                manager,
                context.spec().getModel(),
                data.train(),
                initial,
                pools,
                augmentation,
                spec.getBatchReal(),
                spec.getLearningRate().floatValue())) {
      for (int iteration = 0; iteration < spec.getIterations(); iteration++) {
        loss = matching.step(random);
        if (iteration % every == 0 || iteration == spec.getIterations() - 1) {
          curve.add(new double[] {iteration, loss});
        }
        progress.report(iteration + 1, spec.getIterations(), loss);
      }
      result = matching.snapshot();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    writeArtifacts(data, result, spec.getImagesPerClass());
    return new DistillResult(
        spec.getIterations(), result.size(), loss, spec.getIterations() / seconds, curve);
  }

  /** Per class, imagesPerClass random kept samples (or Gaussian noise), class-major. */
  static ImageSet initialSyntheticSet(
      PreparedData data, int[][] pools, DistillationSpec spec, Random random) {
    int perClass = spec.getImagesPerClass();
    int classes = pools.length;
    ImageSet train = data.train();
    if (spec.getInit() == SyntheticInit.NOISE) {
      float[] pixels = new float[classes * perClass * train.imageSize()];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (float) random.nextGaussian();
      }
      int[] labels = new int[classes * perClass];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = i / perClass;
      }
      return new ImageSet(pixels, labels, train.channels(), train.height(), train.width());
    }
    int[] picked = new int[classes * perClass];
    for (int c = 0; c < classes; c++) {
      int[] pool = pools[c].clone();
      if (pool.length == 0) {
        throw new InvalidInputException(
            "class " + c + " has no training samples to initialise from");
      }
      for (int i = 0; i < perClass; i++) {
        if (i < pool.length) {
          int j = i + random.nextInt(pool.length - i);
          int swap = pool[i];
          pool[i] = pool[j];
          pool[j] = swap;
          picked[c * perClass + i] = pool[i];
        } else {
          picked[c * perClass + i] = pool[random.nextInt(pool.length)];
        }
      }
    }
    return train.subset(picked);
  }

  private void writeArtifacts(PreparedData data, ImageSet synthetic, int perClass) {
    Map<String, NpyArray> arrays = new LinkedHashMap<>();
    arrays.put(
        "images",
        NpyArray.float32(
            synthetic.pixels(),
            synthetic.size(),
            synthetic.channels(),
            synthetic.height(),
            synthetic.width()));
    arrays.put("labels", NpyArray.int64(synthetic.labels(), synthetic.size()));
    arrays.put("mean", NpyArray.float32(data.normalization().mean(), synthetic.channels()));
    arrays.put("std", NpyArray.float32(data.normalization().std(), synthetic.channels()));
    Npz.write(context.workspace().file(SYNTHETIC), arrays);
    context.workspace().publish(SYNTHETIC);
    int scale = Math.max(1, 64 / synthetic.height());
    ImageGrid.writePng(
        context.workspace().file(PREVIEW), data.normalization().invert(synthetic), perClass, scale);
    context.workspace().publish(PREVIEW);
  }
}
