package dev.goldpan.worker.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.api.v1alpha1.CausalKeep;
import dev.goldpan.api.v1alpha1.DatasetFormat;
import dev.goldpan.api.v1alpha1.EmbeddingPrecision;
import dev.goldpan.api.v1alpha1.ModelSpec;
import dev.goldpan.worker.data.DatasetReaders;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.LabeledDataset;
import dev.goldpan.worker.data.Normalization;
import dev.goldpan.worker.engine.CausalSelection;
import dev.goldpan.worker.engine.ClassifierTraining;
import dev.goldpan.worker.engine.DevicePool;
import dev.goldpan.worker.engine.DistributionMatching;
import dev.goldpan.worker.engine.NativeAllocator;
import dev.goldpan.worker.engine.NativeBfloat16;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import dev.goldpan.worker.progress.Progress;
import dev.goldpan.worker.stage.StageContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code goldpan-worker benchmark}: throughput of the engine's three hot loops on Fashion-MNIST,
 * printed as one JSON object (bench/compare.sh runs the PyTorch reference with the same settings
 * and prints the ratios). Not a test: numbers, not verdicts.
 */
@Command(
    name = "benchmark",
    mixinStandardHelpOptions = true,
    description = "Measure DM iterations/s, scoring samples/s and evaluation epochs/s.")
final class BenchmarkCommand implements Callable<Integer> {

  @Option(
      names = "--data",
      description = "Fashion-MNIST IDX directory (default: ${DEFAULT-VALUE}).")
  Path data = Path.of("/usr/share/datasets/fashion-mnist");

  @Option(names = "--width", description = "ConvNet width (default: ${DEFAULT-VALUE}).")
  int width = 128;

  @Option(names = "--depth", description = "ConvNet depth (default: ${DEFAULT-VALUE}).")
  int depth = 3;

  @Option(
      names = "--images-per-class",
      description = "Synthetic images per class (default: ${DEFAULT-VALUE}).")
  int imagesPerClass = 10;

  @Option(
      names = "--batch-real",
      description = "Real images per class per DM iteration (default: ${DEFAULT-VALUE}).")
  int batchReal = 64;

  @Option(
      names = "--dm-iterations",
      description = "Timed DM iterations (default: ${DEFAULT-VALUE}).")
  int dmIterations = 20;

  @Option(
      names = "--score-batches",
      description = "Timed scoring batches of 256 (default: ${DEFAULT-VALUE}).")
  int scoreBatches = 20;

  @Option(
      names = "--eval-epochs",
      description = "Timed evaluation epochs on the synthetic set (default: ${DEFAULT-VALUE}).")
  int evalEpochs = 20;

  @Option(
      names = "--rss-every",
      description = "Also sample the process RSS every N DM iterations (0: off, default).")
  int rssEvery = 0;

  @Option(
      names = "--causal-interval",
      description =
          "Causal re-selection every N DM iterations over the whole class pools (0: off, default).")
  int causalInterval = 0;

  @Option(
      names = "--causal-networks",
      description =
          "Random networks each causal refresh averages over (default: ${DEFAULT-VALUE}).")
  int causalNetworks = 2;

  @Option(
      names = "--pool-per-class",
      description = "Real samples per class in the pools (default: all).")
  int poolPerClass = Integer.MAX_VALUE;

  @Option(
      names = "--real-embedding-precision",
      description =
          "Number format of DM's real-data embeddings, as spec.distillation.realEmbeddingPrecision:"
              + " auto, float32 or bfloat16 (default: ${DEFAULT-VALUE}).")
  EmbeddingPrecision realEmbeddingPrecision = EmbeddingPrecision.AUTO;

  @Option(
      names = "--profile",
      description =
          "Also record libtorch's profile of the timed DM iterations into this Chrome trace file.")
  Path profile;

  @Option(
      names = "--profile-evaluation",
      description =
          "Also record libtorch's profile of the timed evaluation epochs into this Chrome trace"
              + " file.")
  Path profileEvaluation;

  private static final int WARMUP = 3;

  @Override
  public Integer call() throws IOException {
    LabeledDataset raw = DatasetReaders.forFormat(DatasetFormat.IDX).read(data);
    Normalization normalization = Normalization.of(raw.train());
    ImageSet train = normalization.apply(raw.train());
    int classes = raw.classes();
    ModelSpec model = new ModelSpec();
    model.setDepth(depth);
    model.setWidth(width);
    NetworkShape shape = new NetworkShape(train.channels(), train.height(), train.width(), classes);
    Random random = new Random(0);
    Engine.getInstance().setRandomSeed(0);
    ObjectNode result = new ObjectMapper().createObjectNode();
    result.put(
        "implementation",
        "goldpan (DJL "
            + Engine.getDjlVersion()
            + ", "
            + Engine.getInstance().getEngineName()
            + " "
            + Engine.getInstance().getVersion()
            + ")");
    result.put("device", StageContext.deviceName());
    result.put("threads", ai.djl.pytorch.jni.JniUtils.getNumThreads());
    result.put("allocator", NativeAllocator.tune());
    result.put("width", width);
    result.put("depth", depth);
    result.put("batchReal", batchReal);
    result.put("imagesPerClass", imagesPerClass);
    result.put("causalInterval", causalInterval);
    result.put("causalNetworks", causalNetworks);

    int[][] pools = new int[classes][];
    for (int c = 0; c < classes; c++) {
      int[] members = ImageSet.indicesOf(train.labels(), c);
      pools[c] = Arrays.copyOf(members, Math.min(members.length, poolPerClass));
    }
    int[] initial = new int[classes * imagesPerClass];
    for (int c = 0; c < classes; c++) {
      for (int i = 0; i < imagesPerClass; i++) {
        initial[c * imagesPerClass + i] = pools[c][i];
      }
    }
    ImageSet synthetic = train.subset(initial);
    DsaAugmentation augmentation = new DsaAugmentation(train.height(), train.width());
    try (NDManager manager = NDManager.newBaseManager(StageContext.device());
        DistributionMatching matching =
            new DistributionMatching(
                manager,
                model,
                DevicePool.upload(manager, raw.train(), normalization),
                synthetic,
                pools,
                augmentation,
                batchReal,
                1f,
                0L,
                java.util.stream.IntStream.range(0, classes).toArray())) {
      matching.setRealInBfloat16(
          NativeBfloat16.resolve(realEmbeddingPrecision, manager.getDevice()));
      result.put("realEmbeddingPrecision", matching.realInBfloat16() ? "bfloat16" : "float32");
      if (causalInterval > 0) {
        matching.setCausalSelection(
            new CausalSelection(
                pools, 0.5, causalInterval, CausalKeep.MIDDLE, imagesPerClass, causalNetworks));
      }
      for (int i = 0; i < WARMUP; i++) {
        matching.step();
      }
      ArrayNode rss = result.putArray("rssMiB");
      startProfile(profile);
      Clock clock = new Clock();
      for (int i = 0; i < dmIterations; i++) {
        matching.step();
        if (rssEvery > 0 && (i + 1) % rssEvery == 0) {
          rss.addArray().add(i + 1).add(residentMiB());
        }
      }
      clock.put(result, "dmIterations", dmIterations);
      stopProfile(profile);
    }

    try (NDManager manager = NDManager.newBaseManager(StageContext.device())) {
      int[] picked = Arrays.copyOf(shuffled(train.size(), random), (WARMUP + scoreBatches) * 256);
      ImageSet warm = train.subset(Arrays.copyOf(picked, WARMUP * 256));
      ImageSet timed = train.subset(Arrays.copyOfRange(picked, WARMUP * 256, picked.length));
      var scorer = Networks.create(manager, model, shape, true);
      var settings = ClassifierTraining.Settings.reference(1, null, false);
      ClassifierTraining.train(manager, scorer, warm, settings, random, 0, Progress.NONE);
      Clock clock = new Clock();
      ClassifierTraining.train(manager, scorer, timed, settings, random, 1, Progress.NONE);
      clock.put(result, "scoringSamples", timed.size());
    }

    try (NDManager manager = NDManager.newBaseManager(StageContext.device())) {
      var network = Networks.create(manager, model, shape, true);
      ClassifierTraining.train(
          manager,
          network,
          synthetic,
          ClassifierTraining.Settings.reference(WARMUP, augmentation, true),
          random,
          0,
          Progress.NONE);
      startProfile(profileEvaluation);
      Clock clock = new Clock();
      ClassifierTraining.train(
          manager,
          network,
          synthetic,
          ClassifierTraining.Settings.reference(evalEpochs, augmentation, true),
          random,
          0,
          Progress.NONE);
      // With the reference's learning-rate drop, training runs one epoch more than asked
      // (evaluate_synset's Epoch + 1): the rate counts the epochs trained.
      clock.put(result, "evaluationEpochs", evalEpochs + 1);
      stopProfile(profileEvaluation);
    }
    System.out.println(result);
    return 0;
  }

  /** Starts libtorch's CPU profiler when {@code file} is set. */
  private static void startProfile(Path file) {
    if (file != null) {
      ai.djl.pytorch.jni.JniUtils.startProfile(false, true, false);
    }
  }

  /** Stops the profiler that {@link #startProfile} started and writes its Chrome trace. */
  private static void stopProfile(Path file) {
    if (file != null) {
      ai.djl.pytorch.jni.JniUtils.stopProfile(file.toString());
    }
  }

  private static int[] shuffled(int n, Random random) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    return order;
  }

  /**
   * Wall-clock and process CPU time since it was made. On a machine that other work shares, the CPU
   * time is the steadier measure of the work done (with one intra-op thread it is the loop's own).
   */
  private static final class Clock {
    private final long wall = System.nanoTime();
    private final long cpu = cpuNanos();

    /** {@code <name>PerSecond} and {@code <name>PerCpuSecond} for {@code count} units of work. */
    void put(ObjectNode result, String name, double count) {
      result.put(name + "PerSecond", count / ((System.nanoTime() - wall) / 1e9));
      result.put(name + "PerCpuSecond", count / ((cpuNanos() - cpu) / 1e9));
    }

    private static long cpuNanos() {
      return ((com.sun.management.OperatingSystemMXBean)
              java.lang.management.ManagementFactory.getOperatingSystemMXBean())
          .getProcessCpuTime();
    }
  }

  /** VmRSS of this process in MiB, from /proc. */
  private static long residentMiB() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
      }
    }
    return -1;
  }
}
