package dev.goldpan.worker.stage;

import ai.djl.ndarray.NDManager;
import dev.goldpan.api.v1alpha1.Algorithm;
import dev.goldpan.api.v1alpha1.Augmentation;
import dev.goldpan.api.v1alpha1.CausalSelectionSpec;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.api.v1alpha1.DistillationSpec;
import dev.goldpan.api.v1alpha1.EmbeddingPrecision;
import dev.goldpan.api.v1alpha1.SyntheticInit;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.SampleFilter;
import dev.goldpan.worker.engine.CausalSelection;
import dev.goldpan.worker.engine.DevicePool;
import dev.goldpan.worker.engine.Distiller;
import dev.goldpan.worker.engine.DistributionMatching;
import dev.goldpan.worker.engine.GradientMatching;
import dev.goldpan.worker.engine.NativeBfloat16;
import dev.goldpan.worker.io.ImageGrid;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.io.Npz;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.progress.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Distillation (DESIGN §3 step 3): initialises the synthetic set from random kept real samples (or
 * noise) and runs distribution matching or gradient matching (dc, dsa) over the statically kept
 * pools; writes {@code synthetic.npz} and {@code synthetic.png}. Runs the selection first when its
 * artifact is missing.
 */
public final class DistillStage {

  public static final String SYNTHETIC = "synthetic.npz";
  public static final String PREVIEW = "synthetic.png";
  private static final int LOSS_CURVE_POINTS = 200;

  /**
   * What distillation produced (for one shard, or the whole set when it is not sharded); {@code
   * realEmbeddingPrecision} is the number format distribution matching computed its real embeddings
   * in, auto where that does not apply (gradient matching, a skipped stage).
   */
  public record DistillResult(
      int iterations,
      int syntheticImages,
      double finalLoss,
      double iterationsPerSecond,
      int resumedFrom,
      boolean skipped,
      List<double[]> lossCurve,
      List<CausalSelection.Refresh> refreshes,
      EmbeddingPrecision realEmbeddingPrecision) {}

  private final StageContext context;

  public DistillStage(StageContext context) {
    this.context = context;
  }

  /** The synthetic images of shard {@code shard} when the classes are split over several. */
  static String shardFile(int shard) {
    return "synthetic-shard-" + shard + ".npz";
  }

  /**
   * Distils the classes of shard {@code shard} (all classes when {@code distillation.parallelism}
   * is 1): class c belongs to shard c mod parallelism. Continues from the newest valid checkpoint;
   * does nothing when the shard's synthetic images already exist.
   */
  public DistillResult run(int shard) {
    DistillationSpec spec = context.spec().getDistillation();
    int shards = spec.getParallelism();
    if (shard < 0 || shard >= shards) {
      throw new InvalidInputException(
          "--index " + shard + " is outside spec.distillation.parallelism = " + shards);
    }
    String output = shards == 1 ? SYNTHETIC : shardFile(shard);
    if (context.workspace().exists(output) && loadsAsSyntheticSet(output)) {
      int images = readSynthetic(context.workspace(), output).size();
      mergeShardsWhenComplete();
      return new DistillResult(
          spec.getIterations(),
          images,
          Double.NaN,
          0,
          -1,
          true,
          List.of(),
          List.of(),
          EmbeddingPrecision.AUTO);
    }
    if (!context.workspace().exists(SelectStage.SELECTION)) {
      new SelectStage(context).run();
    }
    PreparedData data = context.data();
    int[][] kept = SelectStage.readKept(context.workspace());
    if (kept.length != data.classes()) {
      throw new InvalidInputException(
          context.workspace().file(SelectStage.SELECTION)
              + " has "
              + kept.length
              + " classes, the data set "
              + data.classes());
    }
    int[] classIds = classesOf(shard, shards, data.classes());
    int[][] pools = new int[classIds.length][];
    for (int i = 0; i < classIds.length; i++) {
      pools[i] = kept[classIds[i]];
    }
    Random random = context.random("distill", shard);
    // Only the shard's pools and the initial images are read: memory grows with the shard.
    int perClass = spec.getImagesPerClass();
    int[] initialSamples =
        spec.getInit() == SyntheticInit.NOISE
            ? new int[0]
            : initialSamples(data.trainLabels(), classIds, perClass, random);
    int[] needed =
        IntStream.concat(
                Arrays.stream(pools).flatMapToInt(Arrays::stream), Arrays.stream(initialSamples))
            .toArray();
    ImageSet real = data.train(SampleFilter.indices(needed));
    ImageSet initial =
        spec.getInit() == SyntheticInit.NOISE
            ? noise(classIds, perClass, real, random)
            : real.subset(initialSamples);
    CausalSelectionSpec causalSpec =
        SelectStage.causalOf(
            context.workspace().readJson(SelectStage.SELECTION),
            context.spec().getSelection().getCausal());
    CausalSelection causal =
        causalSpec.getEnabled()
            ? new CausalSelection(
                pools,
                causalSpec.getKeepRatio(),
                causalSpec.getRefreshInterval(),
                causalSpec.getKeep(),
                spec.getImagesPerClass(),
                causalSpec.getNetworks())
            : null;
    int[] shape = {initial.size(), initial.channels(), initial.height(), initial.width()};
    DistillCheckpoints checkpoints = new DistillCheckpoints(context.workspace(), shard, shards);
    Progress progress = context.progress("distill");
    List<double[]> curve = new ArrayList<>();
    int every = Math.max(1, spec.getIterations() / LOSS_CURVE_POINTS);
    double loss = Double.NaN;
    int resumedFrom = -1;
    ImageSet result;
    long started = System.nanoTime();
    int firstIteration;
    EmbeddingPrecision precision;
    Optional<DistillCheckpoints.Checkpoint> checkpoint = checkpoints.newestValid(shape);
    try (NDManager manager = NDManager.newBaseManager(StageContext.device());
        Distiller matching =
            newDistiller(
                context.spec(),
                manager,
                real,
                initial,
                pools,
                spec.getBatchReal(),
                random.nextLong(),
                classIds)) {
      matching.setCausalSelection(causal);
      precision = settleRealEmbeddingPrecision(matching, spec, checkpoint);
      if (checkpoint.isPresent()) {
        matching.restore(checkpoint.get().state());
        curve.addAll(checkpoint.get().lossCurve());
        if (causal != null) {
          causal.restore(checkpoint.get().refreshes());
        }
        resumedFrom = matching.iteration();
        System.err.println(
            "distill: resuming from " + checkpoint.get().file() + " at iteration " + resumedFrom);
      }
      firstIteration = matching.iteration();
      while (matching.iteration() < spec.getIterations()) {
        int iteration = matching.iteration();
        matching.step();
        if (iteration % every == 0 || iteration == spec.getIterations() - 1) {
          loss = matching.loss();
          curve.add(new double[] {iteration, loss});
        }
        progress.report(iteration + 1, spec.getIterations(), loss);
        if (matching.iteration() % spec.getCheckpointInterval() == 0
            && matching.iteration() < spec.getIterations()) {
          checkpoints.write(
              matching.state(),
              shape,
              curve,
              causal == null ? List.of() : causal.refreshes(),
              precision);
        }
      }
      result = matching.snapshot();
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    writeSyntheticSet(context.workspace(), output, data, result);
    if (shards == 1) {
      writePreview(context.workspace(), data, result, spec.getImagesPerClass());
    } else {
      mergeShardsWhenComplete();
    }
    int done = spec.getIterations() - firstIteration;
    return new DistillResult(
        spec.getIterations(),
        result.size(),
        loss,
        done == 0 ? 0 : done / seconds,
        resumedFrom,
        false,
        curve,
        causal == null ? List.of() : causal.refreshes(),
        precision);
  }

  /**
   * Settles the number format of distribution matching's real embeddings for this run and says it
   * on stderr: a resumed run keeps the format its checkpoint records when the spec says auto, so
   * that it computes as the interrupted run did whichever node it lands on; an explicit setting
   * wins. Auto for gradient matching, which has no such choice.
   */
  private static EmbeddingPrecision settleRealEmbeddingPrecision(
      Distiller matching,
      DistillationSpec spec,
      Optional<DistillCheckpoints.Checkpoint> checkpoint) {
    if (!(matching instanceof DistributionMatching dm)) {
      return EmbeddingPrecision.AUTO;
    }
    EmbeddingPrecision recorded =
        checkpoint
            .map(DistillCheckpoints.Checkpoint::realEmbeddingPrecision)
            .orElse(EmbeddingPrecision.AUTO);
    EmbeddingPrecision asked =
        spec.getRealEmbeddingPrecision() == null
            ? EmbeddingPrecision.AUTO
            : spec.getRealEmbeddingPrecision();
    String reason = "spec.distillation.realEmbeddingPrecision is " + asked;
    if (asked == EmbeddingPrecision.AUTO && recorded != EmbeddingPrecision.AUTO) {
      dm.setRealInBfloat16(recorded == EmbeddingPrecision.BFLOAT16);
      reason = "as recorded in " + checkpoint.get().file();
    }
    EmbeddingPrecision precision =
        dm.realInBfloat16() ? EmbeddingPrecision.BFLOAT16 : EmbeddingPrecision.FLOAT32;
    System.err.println("distill: real embeddings in " + precision + " (" + reason + ")");
    return precision;
  }

  /** Distribution matching or gradient matching, as spec.distillation.algorithm asks. */
  static Distiller newDistiller(
      DistillationJobSpec job,
      NDManager manager,
      ImageSet real,
      ImageSet initial,
      int[][] pools,
      int batchReal,
      long seed,
      int[] classIds) {
    DistillationSpec spec = job.getDistillation();
    DsaAugmentation augmentation =
        spec.getAugmentation() == Augmentation.DSA
            ? new DsaAugmentation(real.height(), real.width())
            : null;
    DevicePool pool = DevicePool.upload(manager, real);
    float learningRate = spec.getLearningRate().floatValue();
    if (spec.getAlgorithm() == Algorithm.DM) {
      DistributionMatching matching =
          new DistributionMatching(
              manager,
              job.getModel(),
              pool,
              initial,
              pools,
              augmentation,
              batchReal,
              learningRate,
              seed,
              classIds);
      matching.setRealInBfloat16(
          NativeBfloat16.resolve(spec.getRealEmbeddingPrecision(), manager.getDevice()));
      return matching;
    }
    return new GradientMatching(
        manager,
        job.getModel(),
        pool,
        initial,
        pools,
        augmentation,
        batchReal,
        learningRate,
        seed,
        classIds);
  }

  /** The classes of shard {@code shard}: c with c mod shards == shard. */
  static int[] classesOf(int shard, int shards, int classes) {
    return java.util.stream.IntStream.range(0, classes).filter(c -> c % shards == shard).toArray();
  }

  private boolean loadsAsSyntheticSet(String name) {
    try {
      readSynthetic(context.workspace(), name);
      return true;
    } catch (RuntimeException unreadable) {
      System.err.println(
          "distill: "
              + context.workspace().file(name)
              + " is unreadable ("
              + unreadable.getMessage()
              + "); distilling again");
      return false;
    }
  }

  /**
   * Merges the shards' synthetic images into synthetic.npz and synthetic.png once every shard has
   * written its part (the last shard to finish, or the evaluate stage, does it).
   */
  void mergeShardsWhenComplete() {
    int shards = context.spec().getDistillation().getParallelism();
    Workspace workspace = context.workspace();
    if (shards == 1 || workspace.exists(SYNTHETIC)) {
      return;
    }
    List<ImageSet> parts = new ArrayList<>();
    for (int shard = 0; shard < shards; shard++) {
      if (!workspace.existsAnywhere(shardFile(shard))) {
        return;
      }
      parts.add(readSynthetic(workspace, shardFile(shard)));
    }
    int perClass = context.spec().getDistillation().getImagesPerClass();
    int classes = context.data().classes();
    ImageSet first = parts.get(0);
    int imageSize = first.imageSize();
    float[] pixels = new float[classes * perClass * imageSize];
    int[] labels = new int[classes * perClass];
    for (ImageSet part : parts) {
      for (int i = 0; i < part.size(); i++) {
        int label = part.labels()[i];
        int slot = label * perClass + (i % perClass);
        System.arraycopy(part.pixels(), i * imageSize, pixels, slot * imageSize, imageSize);
        labels[slot] = label;
      }
    }
    ImageSet merged = new ImageSet(pixels, labels, first.channels(), first.height(), first.width());
    writeSyntheticSet(workspace, SYNTHETIC, context.data(), merged);
    writePreview(workspace, context.data(), merged, perClass);
  }

  /** Reads a synthetic set written by this stage. */
  static ImageSet readSynthetic(Workspace workspace, String name) {
    Map<String, NpyArray> arrays = Npz.read(workspace.file(name));
    NpyArray images = arrays.get("images");
    NpyArray labels = arrays.get("labels");
    if (images == null || labels == null || images.shape().length != 4) {
      throw new InvalidInputException(
          workspace.file(name) + " lacks a 4-d 'images' or a 'labels' array");
    }
    int[] shape = images.shape();
    return new ImageSet(images.floats(), labels.ints(), shape[1], shape[2], shape[3]);
  }

  /**
   * Per class of {@code classIds}, imagesPerClass random real samples of that class (or Gaussian
   * noise), class-major, from {@code train}, which must hold them.
   */
  static ImageSet initialSyntheticSet(
      ImageSet train, int[] classIds, DistillationSpec spec, Random random) {
    return spec.getInit() == SyntheticInit.NOISE
        ? noise(classIds, spec.getImagesPerClass(), train, random)
        : train.subset(initialSamples(train.labels(), classIds, spec.getImagesPerClass(), random));
  }

  /**
   * Per class of {@code classIds}, the indices of {@code perClass} random samples of that class,
   * class-major. They are drawn from the whole class, before pruning, so that every selection
   * setting with the same seed starts from the same images.
   */
  static int[] initialSamples(int[] labels, int[] classIds, int perClass, Random random) {
    int classes = classIds.length;
    int[] picked = new int[classes * perClass];
    for (int c = 0; c < classes; c++) {
      int[] members = ImageSet.indicesOf(labels, classIds[c]);
      if (members.length == 0) {
        throw new InvalidInputException(
            "class " + classIds[c] + " has no training samples to initialise from");
      }
      int[] drawn = Distiller.drawFromPool(members, perClass, random);
      for (int i = 0; i < perClass; i++) {
        picked[c * perClass + i] = drawn[i % drawn.length];
      }
    }
    return picked;
  }

  /** Gaussian noise images of {@code like}'s shape, {@code perClass} per class, class-major. */
  private static ImageSet noise(int[] classIds, int perClass, ImageSet like, Random random) {
    float[] pixels = new float[classIds.length * perClass * like.imageSize()];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextGaussian();
    }
    int[] labels = new int[classIds.length * perClass];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = classIds[i / perClass];
    }
    return new ImageSet(pixels, labels, like.channels(), like.height(), like.width());
  }

  private static void writeSyntheticSet(
      Workspace workspace, String name, PreparedData data, ImageSet synthetic) {
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
    Npz.write(workspace.file(name), arrays);
    workspace.publish(name);
  }

  private static void writePreview(
      Workspace workspace, PreparedData data, ImageSet synthetic, int perClass) {
    int scale = Math.max(1, 64 / synthetic.height());
    ImageGrid.writePng(
        workspace.file(PREVIEW), data.normalization().invert(synthetic), perClass, scale);
    workspace.publish(PREVIEW);
  }
}
