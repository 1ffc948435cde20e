package dev.goldpan.worker.stage;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Evaluation (DESIGN §3 step 5): trains {@code evaluation.models} fresh networks on the synthetic
 * set and, for each baseline, on a real set of the same size, all the same way (SGD lr 0.01,
 * momentum 0.9, weight decay 5e-4, batch 256, lr x0.1 at half the epochs, DSA unless disabled), and
 * reports test accuracy as mean and standard deviation; writes {@code evaluation.json}.
 */
public final class EvaluateStage {

  public static final String EVALUATION = "evaluation.json";

  /**
   * Test accuracies of the synthetic set and of each baseline: of every network when {@code
   * pendingShards} is 0, else of this shard's networks only, while other shards have yet to write
   * their part.
   */
  public record EvalResult(Accuracy synthetic, Map<String, Accuracy> baselines, int pendingShards) {
    public boolean complete() {
      return pendingShards == 0;
    }
  }

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

  /** The accuracies of shard {@code shard}'s networks when evaluation is split over several. */
  static String partFile(int shard) {
    return "evaluation-part-" + shard + ".json";
  }

  /**
   * Trains and tests the networks of shard {@code shard} (all of them when {@code
   * evaluation.parallelism} is 1): network m belongs to shard m mod parallelism, and draws the same
   * seeds whichever pod trains it. A shard writes its part and, once every part is there (it is the
   * last, or another finished at the same instant), merges them into evaluation.json. A shard whose
   * part is already there trains nothing.
   */
  public EvalResult run(int shard) {
    EvaluationSpec spec = context.spec().getEvaluation();
    int shards = spec.getParallelism();
    if (shard < 0 || shard >= shards) {
      throw new InvalidInputException(
          "--index " + shard + " is outside spec.evaluation.parallelism = " + shards);
    }
    if (shards == 1) {
      Part all = evaluate(shard, shards);
      EvalResult result = all.result(0);
      write(result, all.syntheticImages());
      return result;
    }
    Part part =
        partWritten(shard)
            .orElseGet(
                () -> {
                  Part evaluated = evaluate(shard, shards);
                  context.workspace().writeJson(partFile(shard), evaluated.toJson());
                  return evaluated;
                });
    int pending = pendingShards();
    return pending > 0 ? part.result(pending) : mergeParts();
  }

  /** Trains and tests this shard's networks on the synthetic set and on each baseline. */
  private Part evaluate(int shard, int shards) {
    EvaluationSpec spec = context.spec().getEvaluation();
    PreparedData data = context.data();
    ImageSet synthetic = readSynthetic();
    int[] networks =
        IntStream.range(0, spec.getModels()).filter(model -> model % shards == shard).toArray();
    int runs = networks.length * (1 + spec.getBaselines().size());
    Progress overall = context.progress("evaluate");
    int[] run = {0};
    double[] syntheticAccuracies = new double[networks.length];
    for (int i = 0; i < networks.length; i++) {
      syntheticAccuracies[i] =
          trainAndTest(synthetic, context.random("evaluate", networks[i]), overall, run[0]++, runs);
    }
    Map<String, double[]> baselines = new LinkedHashMap<>();
    for (Baseline baseline : spec.getBaselines()) {
      double[] accuracies = new double[networks.length];
      for (int i = 0; i < networks.length; i++) {
        Random random = context.random("baseline-" + baseline.value(), networks[i]);
        ImageSet subset = randomReal(data, synthetic.classCounts(data.classes()), random);
        accuracies[i] = trainAndTest(subset, random, overall, run[0]++, runs);
      }
      baselines.put(baseline.value(), accuracies);
    }
    return new Part(networks, synthetic.size(), syntheticAccuracies, baselines);
  }

  /**
   * Merges the shards' parts, all of them here, into evaluation.json. Two shards that both find
   * every part write the same file.
   */
  private EvalResult mergeParts() {
    EvaluationSpec spec = context.spec().getEvaluation();
    int shards = spec.getParallelism();
    double[] synthetic = new double[spec.getModels()];
    Map<String, double[]> baselines = new LinkedHashMap<>();
    spec.getBaselines()
        .forEach(baseline -> baselines.put(baseline.value(), new double[spec.getModels()]));
    int syntheticImages = 0;
    int networks = 0;
    for (int shard = 0; shard < shards; shard++) {
      Part part = Part.read(context.workspace().readJson(partFile(shard)));
      syntheticImages = part.syntheticImages();
      networks += part.networks().length;
      for (int i = 0; i < part.networks().length; i++) {
        if (part.networks()[i] < 0 || part.networks()[i] >= spec.getModels()) {
          throw new InvalidInputException(
              context.workspace().file(partFile(shard))
                  + " names network "
                  + part.networks()[i]
                  + ", outside spec.evaluation.models = "
                  + spec.getModels());
        }
        synthetic[part.networks()[i]] = part.synthetic()[i];
        for (Map.Entry<String, double[]> baseline : baselines.entrySet()) {
          double[] accuracies = part.baselines().get(baseline.getKey());
          if (accuracies == null) {
            throw new InvalidInputException(
                context.workspace().file(partFile(shard)) + " lacks baseline " + baseline.getKey());
          }
          baseline.getValue()[part.networks()[i]] = accuracies[i];
        }
      }
    }
    if (networks != spec.getModels()) {
      throw new InvalidInputException(
          "the evaluation parts hold "
              + networks
              + " networks, spec.evaluation.models is "
              + spec.getModels());
    }
    EvalResult result = resultOf(synthetic, baselines, 0);
    write(result, syntheticImages);
    return result;
  }

  private static EvalResult resultOf(
      double[] synthetic, Map<String, double[]> baselines, int pendingShards) {
    Map<String, Accuracy> accuracies = new LinkedHashMap<>();
    baselines.forEach((name, values) -> accuracies.put(name, new Accuracy(values)));
    return new EvalResult(new Accuracy(synthetic), accuracies, pendingShards);
  }

  /** Shards whose part is neither here nor stored yet (fetching those that other pods stored). */
  private int pendingShards() {
    int pending = 0;
    for (int shard = 0; shard < context.spec().getEvaluation().getParallelism(); shard++) {
      if (!context.workspace().existsAnywhere(partFile(shard))) {
        pending++;
      }
    }
    return pending;
  }

  /**
   * This shard's part, when an earlier run of it wrote one that reads back whole; published again,
   * since that run may have ended before its upload did.
   */
  private Optional<Part> partWritten(int shard) {
    if (!context.workspace().exists(partFile(shard))) {
      return Optional.empty();
    }
    try {
      Part part = Part.read(context.workspace().readJson(partFile(shard)));
      context.workspace().publish(partFile(shard));
      return Optional.of(part);
    } catch (RuntimeException unreadable) {
      System.err.println(
          "evaluate: "
              + context.workspace().file(partFile(shard))
              + " is unreadable ("
              + unreadable.getMessage()
              + "); evaluating again");
      return Optional.empty();
    }
  }

  /** The accuracies of some networks (by index) on the synthetic set and on each baseline. */
  private record Part(
      int[] networks, int syntheticImages, double[] synthetic, Map<String, double[]> baselines) {

    EvalResult result(int pendingShards) {
      return resultOf(synthetic, baselines, pendingShards);
    }

    ObjectNode toJson() {
      ObjectNode json = Workspace.JSON.createObjectNode();
      json.put("syntheticImages", syntheticImages);
      ArrayNode indices = json.putArray("networks");
      for (int network : networks) {
        indices.add(network);
      }
      putAll(json.putArray("synthetic"), synthetic);
      ObjectNode baselineNode = json.putObject("baselines");
      baselines.forEach((name, values) -> putAll(baselineNode.putArray(name), values));
      return json;
    }

    static Part read(JsonNode json) {
      int[] networks = new int[json.path("networks").size()];
      for (int i = 0; i < networks.length; i++) {
        networks[i] = json.path("networks").get(i).asInt();
      }
      Map<String, double[]> baselines = new LinkedHashMap<>();
      json.path("baselines")
          .fields()
          .forEachRemaining(entry -> baselines.put(entry.getKey(), doubles(entry.getValue())));
      double[] synthetic = doubles(json.path("synthetic"));
      if (synthetic.length != networks.length
          || baselines.values().stream().anyMatch(values -> values.length != networks.length)) {
        throw new InvalidInputException("one accuracy per network expected, in " + json);
      }
      return new Part(networks, json.path("syntheticImages").asInt(), synthetic, baselines);
    }

    private static double[] doubles(JsonNode array) {
      double[] values = new double[array.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = array.get(i).asDouble();
      }
      return values;
    }

    private static void putAll(ArrayNode array, double[] values) {
      for (double value : values) {
        array.add(value);
      }
    }
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
    Part.putAll(node.putArray("accuracies"), accuracy.accuracies());
    node.put("mean", accuracy.mean());
    node.put("std", accuracy.std());
  }
}
