package dev.goldpan.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.goldpan.api.v1alpha1.Architecture;
import dev.goldpan.api.v1alpha1.ModelSpec;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.io.Npz;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import dev.goldpan.worker.progress.Progress;
import dev.goldpan.worker.stage.DistillStage;
import dev.goldpan.worker.stage.ScoreStage;
import dev.goldpan.worker.stage.StageContext;
import dev.goldpan.worker.stage.TinyJobs;
import dev.goldpan.worker.stage.Workspace;
import dev.goldpan.worker.task.Locations;
import dev.goldpan.worker.task.WorkerTask;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GradientMatchingTest {

  private static ModelSpec convNet(int depth, int width) {
    ModelSpec model = new ModelSpec();
    model.setArchitecture(Architecture.CONVNET);
    model.setDepth(depth);
    model.setWidth(width);
    return model;
  }

  /** A trainable network with random (not unit) instance-norm scales and shifts. */
  private static Network network(NDManager manager, ModelSpec model, NetworkShape shape) {
    Network network = Networks.create(manager, model, shape, true);
    List<NDArray> parameters = network.parameters();
    for (int block = 0; block < model.getDepth(); block++) {
      for (int k = 2; k < 4; k++) {
        NDArray parameter = parameters.get(block * 4 + k);
        parameter.set(
            manager.randomUniform(0.5f, 1.5f, parameter.getShape()).sub(k - 2).toFloatArray());
      }
    }
    return network;
  }

  /** The same network's parameters in float64 (ConvNetGradients reads nothing else). */
  private static Network inDoublePrecision(Network network) {
    List<NDArray> parameters = new ArrayList<>();
    for (NDArray parameter : network.parameters()) {
      parameters.add(parameter.toType(DataType.FLOAT64, true));
    }
    return new Network() {
      @Override
      public NDArray embed(NDArray images) {
        throw new UnsupportedOperationException();
      }

      @Override
      public NDArray logits(NDArray images) {
        throw new UnsupportedOperationException();
      }

      @Override
      public List<NDArray> parameters() {
        return parameters;
      }

      @Override
      public long activationBytesPerImage() {
        throw new UnsupportedOperationException();
      }
    };
  }

  private static void zeroGradients(List<NDArray> arrays) {
    for (NDArray array : arrays) {
      JniUtils.zeroGrad((PtNDArray) array);
    }
  }

  @Test
  void explicitWeightGradientsEqualAutograd() {
    Engine.getInstance().setRandomSeed(11);
    // 28x28 single-channel input (first padding 3), odd pooled sizes (10 -> 5 -> 2), 1-image
    // groups.
    for (int[] config : new int[][] {{1, 28, 2, 3}, {3, 10, 3, 2}, {2, 6, 4, 1}}) {
      int channels = config[0];
      int side = config[1];
      int groups = config[2];
      int perGroup = config[3];
      try (NDManager manager = NDManager.newBaseManager()) {
        NetworkShape shape = new NetworkShape(channels, side, side, 3);
        ModelSpec model = convNet(2, 4);
        Network network = network(manager, model, shape);
        List<NDArray> parameters = network.parameters();
        for (NDArray parameter : parameters) {
          parameter.setRequiresGradient(true);
        }
        NDArray images = manager.randomNormal(new Shape(groups * perGroup, channels, side, side));
        int[] labels = new int[groups];
        for (int g = 0; g < groups; g++) {
          labels[g] = (g + 1) % 3;
        }
        ConvNetGradients explicit = new ConvNetGradients(network, 2, shape);

        assertClose(explicit.logits(images), network.logits(images), 1e-4);
        List<NDArray> gradients = explicit.weightGradients(images, labels);
        List<NDArray> weights = List.of(parameters.get(0), parameters.get(4), parameters.get(8));
        assertThat(gradients).hasSize(weights.size());
        for (int g = 0; g < groups; g++) {
          NDArray group = images.get(g * perGroup + ":" + (g + 1) * perGroup);
          NDArray target = manager.full(new Shape(perGroup), labels[g], DataType.INT64);
          try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(
                ClassifierTraining.crossEntropy(network.logits(group), target).mean());
          }
          for (int k = 0; k < weights.size(); k++) {
            assertClose(gradients.get(k).get(g), weights.get(k).getGradient(), 1e-4);
          }
          zeroGradients(parameters);
        }
      }
    }
  }

  /**
   * d D / d S through the explicit gradients (float32, the production path) against central
   * differences of D computed in float64. In float64 a step of 1e-5 leaves a truncation error of
   * order 1e-10 and a rounding error of order 1e-16 / 1e-5 = 1e-11, and is far too small to cross a
   * ReLU kink at the probed pixels, so the reference is exact to float32 precision; the analytic
   * gradient carries float32 rounding through two passes, about 1e-5 relative, hence 1e-3.
   */
  @Test
  void secondOrderGradientOfTheMatchingLossMatchesFiniteDifferences() {
    Engine.getInstance().setRandomSeed(12);
    try (NDManager manager = NDManager.newBaseManager()) {
      NetworkShape shape = new NetworkShape(1, 6, 6, 2);
      ModelSpec model = convNet(1, 4);
      Network network = network(manager, model, shape);
      int[] labels = {0, 1};
      NDArray realImages = manager.randomNormal(new Shape(2 * 3, 1, 6, 6));
      NDArray synthetic = manager.randomNormal(new Shape(2 * 2, 1, 6, 6));
      synthetic.setRequiresGradient(true);

      ConvNetGradients single = new ConvNetGradients(network, 1, shape);
      List<NDArray> realGradients = single.weightGradients(realImages, labels);
      float[] analytic;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        collector.backward(
            GradientMatching.distance(single.weightGradients(synthetic, labels), realGradients));
      }
      analytic = synthetic.getGradient().toFloatArray();

      ConvNetGradients exact = new ConvNetGradients(inDoublePrecision(network), 1, shape);
      NDArray realDouble = realImages.toType(DataType.FLOAT64, true);
      List<NDArray> realExact = exact.weightGradients(realDouble, labels);
      double[] base = synthetic.toType(DataType.FLOAT64, true).toDoubleArray();
      double epsilon = 1e-5;
      for (int probe : new int[] {0, 7, 20, 41, 66, 90, 101, 143}) {
        double[] plus = base.clone();
        double[] minus = base.clone();
        plus[probe] += epsilon;
        minus[probe] -= epsilon;
        double lossPlus =
            GradientMatching.distance(
                    exact.weightGradients(manager.create(plus, synthetic.getShape()), labels),
                    realExact)
                .getDouble();
        double lossMinus =
            GradientMatching.distance(
                    exact.weightGradients(manager.create(minus, synthetic.getShape()), labels),
                    realExact)
                .getDouble();
        double numeric = (lossPlus - lossMinus) / (2 * epsilon);
        assertThat((double) analytic[probe])
            .as("pixel %d", probe)
            .isCloseTo(numeric, within(1e-5 + 1e-3 * Math.abs(numeric)));
      }
    }
  }

  @Test
  void distanceIsTheCosineDistancePerOutputRowIgnoringVectors() {
    Random random = new Random(13);
    try (NDManager manager = NDManager.newBaseManager()) {
      // Two groups; a conv-like weight [3, 2, 2, 2], a linear weight [2, 5] and a bias [3].
      Shape[] shapes = {new Shape(2, 3, 2, 2, 2), new Shape(2, 2, 5), new Shape(2, 3)};
      List<NDArray> synthetic = new ArrayList<>();
      List<NDArray> real = new ArrayList<>();
      List<float[]> syntheticValues = new ArrayList<>();
      List<float[]> realValues = new ArrayList<>();
      for (Shape shape : shapes) {
        float[] s = new float[(int) shape.size()];
        float[] r = new float[(int) shape.size()];
        for (int i = 0; i < s.length; i++) {
          s[i] = (float) random.nextGaussian();
          r[i] = (float) random.nextGaussian();
        }
        // One all-zero row: its cosine is 0 (distance 1), not NaN.
        if (shape.dimension() == 3) {
          java.util.Arrays.fill(s, 0, 5, 0f);
        }
        synthetic.add(manager.create(s, shape));
        real.add(manager.create(r, shape));
        syntheticValues.add(s);
        realValues.add(r);
      }
      double expected = 0;
      for (int p = 0; p < 2; p++) {
        Shape shape = shapes[p];
        int rows = (int) (shape.get(0) * shape.get(1));
        int length = (int) (shape.size() / rows);
        for (int row = 0; row < rows; row++) {
          double dot = 0;
          double ss = 0;
          double rr = 0;
          for (int k = row * length; k < (row + 1) * length; k++) {
            dot += syntheticValues.get(p)[k] * realValues.get(p)[k];
            ss += syntheticValues.get(p)[k] * syntheticValues.get(p)[k];
            rr += realValues.get(p)[k] * realValues.get(p)[k];
          }
          expected += 1 - dot / (Math.sqrt(ss) * Math.sqrt(rr) + 1e-6);
        }
      }

      double distance = GradientMatching.distance(synthetic, real).getFloat();

      assertThat(distance).isCloseTo(expected, within(1e-5 * expected));
    }
  }

  /** 2 classes x 6 real images of 1x8x8, class-major, with distinct per-class patterns. */
  private static ImageSet realSet(Random random) {
    int perClass = 6;
    float[] pixels = new float[2 * perClass * 64];
    int[] labels = new int[2 * perClass];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = i / perClass;
      for (int p = 0; p < 64; p++) {
        boolean bright = labels[i] == 0 ? p % 8 < 4 : p / 8 < 4;
        pixels[i * 64 + p] = (float) (0.5 * random.nextGaussian() + (bright ? 1 : -1));
      }
    }
    return new ImageSet(pixels, labels, 1, 8, 8);
  }

  private static ImageSet noise(Random random, int count) {
    float[] pixels = new float[count * 64];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextGaussian();
    }
    int[] labels = new int[count];
    for (int i = 0; i < count; i++) {
      labels[i] = i / (count / 2);
    }
    return new ImageSet(pixels, labels, 1, 8, 8);
  }

  private static int[][] pools() {
    return new int[][] {{0, 1, 2, 3, 4, 5}, {6, 7, 8, 9, 10, 11}};
  }

  private static GradientMatching matching(
      NDManager manager, ImageSet real, ImageSet initial, DsaAugmentation augmentation) {
    return new GradientMatching(
        manager,
        convNet(1, 8),
        TestPools.asIs(manager, real),
        initial,
        pools(),
        augmentation,
        4,
        0.1f,
        5L,
        new int[] {0, 1});
  }

  @Test
  void loopsFollowTheReferenceTable() {
    assertThat(GradientMatching.loops(1)).containsExactly(1, 1);
    assertThat(GradientMatching.loops(2)).containsExactly(10, 50);
    assertThat(GradientMatching.loops(10)).containsExactly(10, 50);
    assertThat(GradientMatching.loops(25)).containsExactly(20, 25);
    assertThat(GradientMatching.loops(50)).containsExactly(50, 10);
    assertThat(GradientMatching.loops(200)).containsExactly(50, 10);
  }

  @Test
  void distillationReducesTheMatchingLoss() {
    Random random = new Random(14);
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageSet real = realSet(random);
      try (GradientMatching dc = matching(manager, real, noise(random, 2), null)) {
        double first = 0;
        double last = 0;
        // One image per class: one outer step per iteration, no inner training.
        for (int iteration = 0; iteration < 30; iteration++) {
          dc.step();
          float loss = dc.loss();
          if (iteration < 10) {
            first += loss;
          } else if (iteration >= 20) {
            last += loss;
          }
        }

        assertThat(last).isLessThan(0.8 * first);
      }
    }
  }

  @Test
  void resumedRunEqualsUninterruptedRun() {
    Random random = new Random(15);
    try (NDManager manager = NDManager.newBaseManager()) {
      ImageSet real = realSet(random);
      ImageSet initial = noise(random, 4);
      DsaAugmentation dsa = new DsaAugmentation(8, 8);
      float[] expected;
      Distiller.State saved;
      try (GradientMatching uninterrupted = matching(manager, real, initial, dsa).withLoops(3, 2)) {
        uninterrupted.step();
        saved = uninterrupted.state();
        uninterrupted.step();
        expected = uninterrupted.snapshot().pixels();
      }
      try (GradientMatching resumed =
          matching(manager, real, noise(random, 4), dsa).withLoops(3, 2)) {
        resumed.restore(saved);
        resumed.step();

        assertThat(resumed.iteration()).isEqualTo(2);
        float[] actual = resumed.snapshot().pixels();
        for (int i = 0; i < expected.length; i++) {
          assertThat(actual[i]).isCloseTo(expected[i], within(1e-5f));
        }
      }
    }
  }

  /**
   * dL/dS of the matching distance of {@code synthetic} against the mean gradient of {@code pool}.
   */
  private static float[] metaGradient(
      NDManager manager,
      ConvNetGradients gradients,
      ImageSet real,
      int[] pool,
      int label,
      NDArray synthetic) {
    List<NDArray> poolGradients =
        gradients.weightGradients(
            manager.create(real.subset(pool).pixels(), new Shape(pool.length, 1, 6, 6)),
            new int[] {label});
    NDArray leaf = synthetic.duplicate();
    leaf.setRequiresGradient(true);
    try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
      collector.backward(
          GradientMatching.distance(
              gradients.weightGradients(leaf, new int[] {label}), poolGradients));
    }
    return leaf.getGradient().toFloatArray();
  }

  /**
   * The first-order ITE against leave-one-out recomputation of the meta-gradient. Removing one of n
   * samples moves the real gradient by (g_P - g_i)/(n-1); the neglected second-order term is
   * smaller than the first by about the size of that step relative to g_P. With per-sample
   * gradients within a few |g_P| of the mean and n = 40 that is a few percent (5% at most here),
   * hence 10% (checked on every fourth sample). Eight synthetic images make the 40 replicas span
   * two chunks.
   */
  @Test
  void firstOrderEffectsMatchLeaveOneOut() {
    Engine.getInstance().setRandomSeed(16);
    Random random = new Random(16);
    try (NDManager manager = NDManager.newBaseManager()) {
      int n = 40;
      float[] pixels = new float[n * 36];
      for (int i = 0; i < pixels.length; i++) {
        pixels[i] = (float) (random.nextGaussian() + ((i % 36) < 18 ? 0.5 : -0.5));
      }
      ImageSet real = new ImageSet(pixels, new int[n], 1, 6, 6);
      int[] pool = Batches.identity(n);
      NetworkShape shape = new NetworkShape(1, 6, 6, 2);
      Network network = network(manager, convNet(1, 4), shape);
      ConvNetGradients gradients = new ConvNetGradients(network, 1, shape);
      NDArray synthetic = manager.randomNormal(new Shape(8, 1, 6, 6));

      float[] effects =
          GradientMatchingEffects.of(
              manager, gradients, TestPools.asIs(manager, real), pool, 0, synthetic);

      float[] full = metaGradient(manager, gradients, real, pool, 0, synthetic);
      for (int i = 0; i < n; i += 4) {
        int[] without = new int[n - 1];
        for (int j = 0, k = 0; j < n; j++) {
          if (j != i) {
            without[k++] = j;
          }
        }
        float[] reduced = metaGradient(manager, gradients, real, without, 0, synthetic);
        double squared = 0;
        for (int p = 0; p < full.length; p++) {
          squared += (full[p] - reduced[p]) * (double) (full[p] - reduced[p]);
        }
        double exact = Math.sqrt(squared);

        assertThat((double) effects[i]).as("sample %d", i).isCloseTo(exact, within(0.1 * exact));
      }
    }
  }

  /** The distill stage on a tiny job with dsa, killed after a checkpoint and resumed. */
  @Test
  void distillStageResumesGradientMatchingFromItsCheckpoint(@TempDir Path directory) {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), 60, 15);
    Map<String, Object> settings =
        Map.of(
            "spec.distillation.algorithm",
            "dsa",
            "spec.distillation.imagesPerClass",
            1,
            "spec.distillation.learningRate",
            0.1,
            "spec.distillation.iterations",
            8,
            "spec.distillation.checkpointInterval",
            3,
            "spec.selection.static.criterion",
            "random");
    float[] expected = distill(directory, data, "full", settings, Progress.NONE);
    Progress killedAt5 =
        (step, total, loss) -> {
          if (step == 5) {
            throw new IllegalStateException("killed");
          }
        };
    assertThatThrownBy(() -> distill(directory, data, "killed", settings, killedAt5))
        .hasMessage("killed");
    assertThat(directory.resolve("killed/checkpoints/distill-3.npz")).exists();

    float[] resumed = distill(directory, data, "killed", settings, Progress.NONE);

    assertThat(resumed).hasSize(TinyJobs.CLASSES * TinyJobs.SIDE * TinyJobs.SIDE);
    assertThat(resumed).containsExactly(expected, within(1e-4f));
  }

  @Test
  void causalSelectionReselectsThePoolsForGradientMatching(@TempDir Path directory) {
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), 60, 15);
    Path output = directory.resolve("causal");
    Path manifest =
        TinyJobs.writeManifest(
            directory.resolve("causal.yaml"),
            data,
            output,
            Map.of(
                "spec.distillation.algorithm",
                "dc",
                "spec.distillation.imagesPerClass",
                1,
                "spec.distillation.iterations",
                4,
                "spec.selection.causal.enabled",
                true,
                "spec.selection.causal.refreshInterval",
                2,
                "spec.selection.causal.keepRatio",
                0.5,
                "spec.selection.static.criterion",
                "random",
                "spec.selection.static.keepRatio",
                1.0));
    StageContext context = TinyJobs.context(manifest, output);
    new ScoreStage(context).run(0);

    DistillStage.DistillResult result = new DistillStage(context).run(0);

    // 60 training samples in 3 classes, all kept statically; half of each class stays active.
    assertThat(result.refreshes()).extracting(r -> r.iteration()).containsExactly(0, 2);
    assertThat(result.refreshes()).allSatisfy(r -> assertThat(r.active()).isEqualTo(30));
    assertThat(result.refreshes().get(0).quantiles()[4]).isPositive();
  }

  /** Runs the distill stage of a tiny job in {@code directory/name}; returns its images. */
  private static float[] distill(
      Path directory, Path data, String name, Map<String, Object> settings, Progress progress) {
    Path output = directory.resolve(name);
    Path manifest =
        TinyJobs.writeManifest(directory.resolve(name + ".yaml"), data, output, settings);
    StageContext context =
        new StageContext(
            WorkerTask.read(manifest),
            new Workspace(output),
            new Locations(Map.of(), Locations.DEFAULT_VOLUME_ROOT),
            stage -> progress);
    if (!context.workspace().exists(ScoreStage.fileName(0))) {
      new ScoreStage(context).run(0);
    }
    new DistillStage(context).run(0);
    return Npz.read(context.workspace().file(DistillStage.SYNTHETIC)).get("images").floats();
  }

  private static void assertClose(NDArray actual, NDArray expected, double tolerance) {
    assertThat(actual.getShape()).isEqualTo(expected.getShape());
    float[] a = actual.toFloatArray();
    float[] e = expected.toFloatArray();
    double scale = 0;
    for (float v : e) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < a.length; i++) {
      assertThat((double) a[i])
          .as("element %d", i)
          .isCloseTo(e[i], within(tolerance * Math.max(1e-3, scale)));
    }
  }
}
