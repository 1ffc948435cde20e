package dev.goldpan.worker.stage;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.api.v1alpha1.Augmentation;
import dev.goldpan.api.v1alpha1.Baseline;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.api.v1alpha1.EvaluationSpec;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.data.SampleFilter;
import dev.goldpan.worker.data.Split;
import dev.goldpan.worker.engine.ClassifierTraining;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import dev.goldpan.worker.progress.Progress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Evaluation (DESIGN §3 step 5): trains {@code evaluation.models} fresh networks on the synthetic
 * set and, for each baseline, on a real set of the same size, all the same way (SGD lr 0.01,
 * momentum 0.9, weight decay 5e-4, batch 256, lr x0.1 at half the epochs, DSA unless disabled), and
 * reports test accuracy as mean and standard deviation; writes {@code evaluation.json}.
 */
public final class EvaluateStage {

  public static final String EVALUATION = "evaluation.json";

  /** Test accuracies of the synthetic set and of each baseline. */
  public record EvalResult(Accuracy synthetic, Map<String, Accuracy> baselines) {}

  /** Accuracies of the individual models, with their mean and population standard deviation. */
  public record Accuracy(double[] accuracies) {
    public double mean() {
      double sum = 0;
      for (double accuracy : accuracies) {
        sum += accuracy;
      }
      return sum / accuracies.length;
    }

    public double std() {
      double mean = mean();
      double sum = 0;
      for (double accuracy : accuracies) {
        sum += (accuracy - mean) * (accuracy - mean);
      }
      return Math.sqrt(sum / accuracies.length);
    }
  }

  private final StageContext context;

  public EvaluateStage(StageContext context) {
    this.context = context;
  }

  public EvalResult run() {
    EvaluationSpec spec = context.spec().getEvaluation();
    PreparedData data = context.data();
    ImageSet synthetic = readSynthetic();
    int runs = spec.getModels() * (1 + spec.getBaselines().size());
    Progress overall = context.progress("evaluate");
    int[] run = {0};
    double[] syntheticAccuracies = new double[spec.getModels()];
    for (int model = 0; model < spec.getModels(); model++) {
      syntheticAccuracies[model] =
          trainAndTest(synthetic, context.random("evaluate", model), overall, run[0]++, runs);
    }
    Map<String, Accuracy> baselines = new LinkedHashMap<>();
    for (Baseline baseline : spec.getBaselines()) {
      double[] accuracies = new double[spec.getModels()];
      for (int model = 0; model < spec.getModels(); model++) {
        Random random = context.random("baseline-" + baseline.value(), model);
        ImageSet subset = randomReal(data, synthetic.classCounts(data.classes()), random);
        accuracies[model] = trainAndTest(subset, random, overall, run[0]++, runs);
      }
      baselines.put(baseline.value(), new Accuracy(accuracies));
    }
    EvalResult result = new EvalResult(new Accuracy(syntheticAccuracies), baselines);
    write(result, synthetic.size());
    return result;
  }

  private ImageSet readSynthetic() {
    new DistillStage(context).mergeShardsWhenComplete();
    if (!context.workspace().exists(DistillStage.SYNTHETIC)) {
      throw new InvalidInputException(
          context.workspace().file(DistillStage.SYNTHETIC)
              + " does not exist: the distill stage has not finished");
    }
    return DistillStage.readSynthetic(context.workspace(), DistillStage.SYNTHETIC);
  }

  /** A random real subset with the given number of images per class; only those images are read. */
  static ImageSet randomReal(PreparedData data, int[] perClass, Random random) {
    int[] labels = data.trainLabels();
    int total = 0;
    for (int count : perClass) {
      total += count;
    }
    int[] picked = new int[total];
    int next = 0;
    for (int c = 0; c < perClass.length; c++) {
      int[] members = ImageSet.indicesOf(labels, c);
      for (int i = 0; i < perClass[c] && i < members.length; i++) {
        int j = i + random.nextInt(members.length - i);
        int swap = members[i];
        members[i] = members[j];
        members[j] = swap;
        picked[next++] = members[i];
      }
    }
    int[] indices = java.util.Arrays.copyOf(picked, next);
    return data.train(SampleFilter.indices(indices)).subset(indices);
  }

  /** Fraction of the test split that {@code network} classifies correctly, read chunk by chunk. */
  static double testAccuracy(NDManager manager, Network network, PreparedData data) {
    long[] correct = {0};
    data.forEachChunk(
        Split.TEST,
        (from, chunk) ->
            correct[0] +=
                Math.round(
                    ClassifierTraining.accuracy(manager, network, chunk, 512) * chunk.size()));
    int size = data.size(Split.TEST);
    return size == 0 ? 0 : (double) correct[0] / size;
  }

  /**
   * The augmentation evaluation networks train with: the distillation's (resolved per algorithm, so
   * none for dc), as the reference evaluates each method.
   */
  static DsaAugmentation trainingAugmentation(DistillationJobSpec spec, ImageSet trainSet) {
    return spec.getDistillation().getAugmentation() == Augmentation.DSA
        ? new DsaAugmentation(trainSet.height(), trainSet.width())
        : null;
  }

  private double trainAndTest(
      ImageSet trainSet, Random random, Progress overall, int run, int runs) {
    EvaluationSpec spec = context.spec().getEvaluation();
    PreparedData data = context.data();
    DsaAugmentation augmentation = trainingAugmentation(context.spec(), trainSet);
    NetworkShape shape =
        new NetworkShape(trainSet.channels(), trainSet.height(), trainSet.width(), data.classes());
    try (NDManager manager = NDManager.newBaseManager(StageContext.device())) {
      Network network = Networks.create(manager, context.spec().getModel(), shape, true);
      ClassifierTraining.train(
          manager,
          network,
          trainSet,
          ClassifierTraining.Settings.reference(spec.getEpochs(), augmentation, true),
          random,
          0,
          (step, total, loss) -> overall.report(run * total + step, runs * total, loss));
      return testAccuracy(manager, network, data);
    }
  }

  private void write(EvalResult result, int syntheticImages) {
    ObjectNode evaluation = Workspace.JSON.createObjectNode();
    evaluation.put("models", context.spec().getEvaluation().getModels());
    evaluation.put("epochs", context.spec().getEvaluation().getEpochs());
    evaluation.put("syntheticImages", syntheticImages);
    put(evaluation.putObject("synthetic"), result.synthetic());
    ObjectNode baselines = evaluation.putObject("baselines");
    result.baselines().forEach((name, accuracy) -> put(baselines.putObject(name), accuracy));
    context.workspace().writeJson(EVALUATION, evaluation);
  }

  private static void put(ObjectNode node, Accuracy accuracy) {
    ArrayNode values = node.putArray("accuracies");
    for (double value : accuracy.accuracies()) {
      values.add(value);
    }
    node.put("mean", accuracy.mean());
    node.put("std", accuracy.std());
  }
}
