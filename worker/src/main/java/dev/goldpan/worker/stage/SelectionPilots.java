package dev.goldpan.worker.stage;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.api.v1alpha1.CausalKeep;
import dev.goldpan.api.v1alpha1.CausalSelectionSpec;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.api.v1alpha1.DistillationSpec;
import dev.goldpan.api.v1alpha1.DropEnd;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.engine.CausalSelection;
import dev.goldpan.worker.engine.ClassifierTraining;
import dev.goldpan.worker.engine.Distiller;
import dev.goldpan.worker.model.DsaAugmentation;
import dev.goldpan.worker.model.Network;
import dev.goldpan.worker.model.NetworkShape;
import dev.goldpan.worker.model.Networks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * {@code selection.mode: auto}: short pilot distillations choose the static keep ratio and
 * criterion and the causal rule. A few samples per class are held out of the training set as a
 * validation set (the test set is never looked at). Every pilot starts from the same initial images
 * and sees the same networks and augmentations, runs the same number of iterations with a smaller
 * real batch, and is scored by the validation accuracy of networks trained on its synthetic set
 * (the same initial weights for every pilot). The pilots run in this order:
 *
 * <ol>
 *   <li>full data (the baseline);
 *   <li>the spec's criterion at keep ratios 0.5, 0.3 and 0.7, and random at 0.5;
 *   <li>the best of these with causal selection, middle and most-contributing.
 * </ol>
 *
 * A setting replaces the best so far only when it beats it by more than {@link #MARGIN} and by more
 * than the standard error of the paired differences between their evaluation networks, so noise
 * alone keeps the full data.
 *
 * <p>The budget is {@code selection.auto.budget} times the distill stage's estimated time (its
 * iterations at its real batch, timed). A pilot's evaluation is estimated too, from two short timed
 * training runs: it costs the same for every pilot, and at IPC 1 as much as hundreds of pilot
 * iterations. The first {@link #CORE} pilots share the budget, each getting the iterations left
 * after its evaluation; the others run only while a pilot as long as the longest so far still fits
 * (often none does), and settings not reached are recorded as skipped. When the budget cannot pay
 * for a second pilot, auto keeps full data without comparing anything, and says so in its table.
 *
 * <p>With {@code selection.auto.pilotIterations} set, nothing is timed: every pilot runs, each that
 * many iterations, so the choice is the same on a fast node, a slow one or a busy one.
 */
final class SelectionPilots {

  /**
   * Static keep ratios tried with the spec's criterion, the likeliest first (0.5 won on clean and
   * noisy Fashion-MNIST in bench/pruning.sh), since the budget may end the pilots early.
   */
  private static final double[] RATIOS = {0.5, 0.3, 0.7};

  /** The smallest accuracy gain that replaces the best setting so far. */
  static final double MARGIN = 0.01;

  /**
   * The pilots the budget is sized for (full data and the spec's criterion at 0.5 and 0.3); the
   * later ones run only if it has room left.
   */
  private static final int CORE = 3;

  private static final int MIN_ITERATIONS = 10;

  private static final int VALIDATION_PER_CLASS = 100;

  /**
   * The pilots' real batch per class. An iteration at 8 costs a fraction of one at the stage's
   * batch (32 in bench/pruning.sh, 256 by default), so the pilots get several times the iterations
   * from the same budget (docs/benchmarks.md, issue 11).
   */
  private static final int PILOT_BATCH_REAL = 8;

  private static final int EVALUATION_MODELS = 2;

  private static final int EVALUATION_EPOCHS = 300;

  private static final int TIMED_ITERATIONS = 3;

  /**
   * Epochs of the shorter of two timed training runs (the longer has three times as many), after
   * WARM_UP_EPOCHS untimed ones, to estimate an evaluation.
   */
  private static final int TIMED_EPOCHS = 5;

  private static final int WARM_UP_EPOCHS = 3;

  /** What auto chose, with the record of its pilots for selection.json and manifest.json. */
  record Choice(
      String criterion,
      double keepRatio,
      int[][] kept,
      CausalSelectionSpec causal,
      ObjectNode record) {}

  /** One setting: its static keep ratio and criterion, and its causal rule (null: none). */
  record Setting(String criterion, double keepRatio, CausalKeep causal) {

    String label() {
      String base = keepRatio >= 1 ? "full" : criterion + " " + keepRatio;
      return causal == null ? base : base + " + causal " + causal.value();
    }
  }

  record Pilot(Setting setting, int kept, double[] accuracies, double seconds) {

    double mean() {
      return Arrays.stream(accuracies).average().orElse(0);
    }

    /** Standard error of the mean. */
    double error() {
      double mean = mean();
      double squares = Arrays.stream(accuracies).map(a -> (a - mean) * (a - mean)).sum();
      int n = accuracies.length;
      return n < 2 ? 0 : Math.sqrt(squares / (n - 1) / n);
    }
  }

  private final StageContext context;
  private final float[] scores;
  private final float[] randomScores;
  private final Random random;

  /**
   * @param scores the spec's criterion's score of every training sample
   * @param random fixes the validation split, the initial images and every pilot's random choices
   */
  SelectionPilots(StageContext context, float[] scores, Random random) {
    this.context = context;
    this.scores = scores;
    this.random = random;
    this.randomScores = new float[scores.length];
    for (int i = 0; i < randomScores.length; i++) {
      randomScores[i] = random.nextFloat();
    }
  }

  Choice choose() {
    DistillationJobSpec job = context.spec();
    DistillationSpec distillation = job.getDistillation();
    PreparedData data = context.data();
    ImageSet train = data.train();
    int classes = data.classes();
    boolean[] heldOut = validationSplit(train.labels(), classes);
    ImageSet validation = train.subset(indices(heldOut, true));
    int[] classIds = java.util.stream.IntStream.range(0, classes).toArray();
    ImageSet initial = DistillStage.initialSyntheticSet(train, classIds, distillation, random);
    long distillSeed = random.nextLong();
    long evaluationSeed = random.nextLong();
    int batchReal = Math.min(distillation.getBatchReal(), PILOT_BATCH_REAL);
    String criterion = job.getSelection().getStaticSelection().getCriterion().value();

    ObjectNode record = Workspace.JSON.createObjectNode();
    Integer fixedIterations = job.getSelection().getAuto().getPilotIterations();
    Ledger ledger;
    int iterations;
    if (fixedIterations != null) {
      // Every pilot runs, each this long: the same choice on any node, at any load.
      iterations = fixedIterations;
      ledger = new Ledger(Double.POSITIVE_INFINITY, 0);
      System.err.printf(
          "select: every pilot runs %d iterations (spec.selection.auto.pilotIterations); no time"
              + " budget%n",
          iterations);
    } else {
      Sizing sizing = size(initial, validation, batchReal, distillSeed, classIds, heldOut, record);
      iterations = sizing.iterations();
      ledger = new Ledger(sizing.budgetSeconds(), sizing.seconds());
    }
    java.util.function.Function<Setting, Pilot> runPilot =
        setting ->
            run(
                setting,
                heldOut,
                initial,
                validation,
                batchReal,
                iterations,
                distillSeed,
                evaluationSeed,
                classIds);
    ledger.offer(new Setting(criterion, 1, null), runPilot);
    for (double ratio : RATIOS) {
      ledger.offer(new Setting(criterion, ratio, null), runPilot);
    }
    ledger.offer(new Setting("random", 0.5, null), runPilot);
    for (CausalKeep keep : new CausalKeep[] {CausalKeep.MIDDLE, CausalKeep.MOST_CONTRIBUTING}) {
      Setting leader = ledger.best().setting();
      ledger.offer(new Setting(leader.criterion(), leader.keepRatio(), keep), runPilot);
    }
    List<Pilot> pilots = ledger.pilots();
    List<Setting> skipped = ledger.skipped();
    double spent = ledger.spent();
    Pilot best = ledger.best();

    Setting chosen = best.setting();
    record.put("spentSeconds", spent);
    record.put("pilotIterations", iterations);
    record.put("pilotIterationsFixed", fixedIterations != null);
    record.put("pilotBatchReal", batchReal);
    record.put("validationSamples", validation.size());
    record.put("margin", MARGIN);
    ArrayNode table = record.putArray("pilots");
    for (Pilot pilot : pilots) {
      ObjectNode row = table.addObject();
      row.put("setting", pilot.setting().label());
      row.put("kept", pilot.kept());
      row.put("accuracy", pilot.mean());
      row.put("error", pilot.error());
      row.put("seconds", pilot.seconds());
    }
    for (Setting setting : skipped) {
      table.addObject().put("setting", setting.label()).put("skipped", "budget spent");
    }
    record.put("chosen", chosen.label());
    CausalSelectionSpec causal =
        SelectStage.causalWith(job.getSelection().getCausal(), chosen.causal());
    int[][] kept =
        StaticSelection.keep(
            train.labels(),
            classes,
            chosen.criterion().equals("random") ? randomScores : scores,
            chosen.keepRatio(),
            job.getSelection().getStaticSelection().getDrop(),
            distillation.getImagesPerClass());
    return new Choice(chosen.criterion(), chosen.keepRatio(), kept, causal, record);
  }

  /** Under a time budget: each core pilot's iterations, the budget, and what sizing them took. */
  record Sizing(int iterations, double budgetSeconds, double seconds) {}

  /**
   * Sizes the pilots under {@code selection.auto.budget}: times the distillation at the spec's real
   * batch (the stage's estimate) and at the pilots' batch, and estimates a pilot's evaluation. That
   * costs the same for every pilot, since it depends only on the synthetic set's size, and at small
   * IPC as much as hundreds of iterations. Records the budget and the estimates in {@code record}.
   */
  private Sizing size(
      ImageSet initial,
      ImageSet validation,
      int batchReal,
      long distillSeed,
      int[] classIds,
      boolean[] heldOut,
      ObjectNode record) {
    DistillationJobSpec job = context.spec();
    DistillationSpec distillation = job.getDistillation();
    String criterion = job.getSelection().getStaticSelection().getCriterion().value();
    int[][] fullPools = pools(new Setting(criterion, 1, null), heldOut);
    long started = System.nanoTime();
    Timing stage = time(initial, fullPools, distillation.getBatchReal(), distillSeed, classIds);
    Timing pilotTiming =
        batchReal == distillation.getBatchReal()
            ? stage
            : time(initial, fullPools, batchReal, distillSeed, classIds);
    double evaluationSeconds = estimateEvaluation(initial, validation);
    System.err.printf("select: a pilot's evaluation estimated at %.1f s%n", evaluationSeconds);
    double estimatedDistill = distillation.getIterations() * stage.secondsPerIteration();
    double budget = job.getSelection().getAuto().getBudget() * estimatedDistill;
    double sizingSpent = (System.nanoTime() - started) / 1e9;
    record.put("budget", job.getSelection().getAuto().getBudget());
    record.put("estimatedDistillSeconds", estimatedDistill);
    record.put("budgetSeconds", budget);
    record.put("estimatedEvaluationSeconds", evaluationSeconds);
    // The first CORE pilots (full data and the criterion at two keep ratios) share what is left;
    // the others run only if the budget still has room.
    double perPilot = (budget - sizingSpent) / CORE;
    int iterations =
        (int)
            Math.max(
                MIN_ITERATIONS,
                Math.min(
                    distillation.getIterations(),
                    (perPilot - evaluationSeconds - pilotTiming.setupSeconds())
                        / pilotTiming.secondsPerIteration()));
    return new Sizing(iterations, budget, sizingSpent);
  }

  /**
   * The pilots run so far, the settings the budget left out, the time spent and the best. A pilot
   * starts only when the budget has room for it, judged by the longest pilot so far, so the pilots
   * end within the budget rather than overrunning it by the one that started last (the first pilot,
   * the full-data baseline, always runs).
   */
  static final class Ledger {

    private final double budget;
    private final List<Pilot> pilots = new ArrayList<>();
    private final List<Setting> skipped = new ArrayList<>();
    private double spent;
    private double longest;
    private Pilot best;

    Ledger(double budget, double spent) {
      this.budget = budget;
      this.spent = spent;
    }

    /** Runs {@code setting}'s pilot if the budget has room for it, or records it as skipped. */
    void offer(Setting setting, java.util.function.Function<Setting, Pilot> run) {
      if (best != null && spent + longest > budget) {
        skipped.add(setting);
        return;
      }
      Pilot pilot = run.apply(setting);
      pilots.add(pilot);
      spent += pilot.seconds();
      longest = Math.max(longest, pilot.seconds());
      best = better(best, pilot);
    }

    List<Pilot> pilots() {
      return pilots;
    }

    List<Setting> skipped() {
      return skipped;
    }

    double spent() {
      return spent;
    }

    Pilot best() {
      return best;
    }
  }

  /**
   * {@code candidate} when it beats {@code best} by more than the margin and the noise. Every
   * pilot's k-th evaluation network starts from the same weights, so the comparison is paired: the
   * mean of the per-network differences must exceed the margin and their standard error.
   */
  private static Pilot better(Pilot best, Pilot candidate) {
    if (best == null) {
      return candidate;
    }
    int n = candidate.accuracies().length;
    double[] differences = new double[n];
    for (int m = 0; m < n; m++) {
      differences[m] = candidate.accuracies()[m] - best.accuracies()[m];
    }
    double mean = Arrays.stream(differences).average().orElse(0);
    double squares = Arrays.stream(differences).map(d -> (d - mean) * (d - mean)).sum();
    double error = n < 2 ? 0 : Math.sqrt(squares / (n - 1) / n);
    return mean > Math.max(MARGIN, error) ? candidate : best;
  }

  /** Per class, the kept samples of {@code setting} that are not held out. */
  private int[][] pools(Setting setting, boolean[] heldOut) {
    ImageSet train = context.data().train();
    int[][] kept =
        StaticSelection.keep(
            train.labels(),
            context.data().classes(),
            setting.criterion().equals("random") ? randomScores : scores,
            setting.keepRatio(),
            setting.keepRatio() >= 1
                ? DropEnd.LARGEST
                : context.spec().getSelection().getStaticSelection().getDrop(),
            1);
    int[][] pools = new int[kept.length][];
    for (int c = 0; c < kept.length; c++) {
      pools[c] = Arrays.stream(kept[c]).filter(i -> !heldOut[i]).toArray();
    }
    return pools;
  }

  /** A distiller's set-up time and its seconds per iteration at one real batch size. */
  record Timing(double setupSeconds, double secondsPerIteration) {}

  private Timing time(ImageSet initial, int[][] pools, int batchReal, long seed, int[] classIds) {
    long started = System.nanoTime();
    try (NDManager manager = NDManager.newBaseManager(StageContext.device());
        Distiller distiller =
            DistillStage.newDistiller(
                context.spec(),
                manager,
                context.data().train(),
                initial,
                pools,
                batchReal,
                seed,
                classIds)) {
      distiller.step();
      double setup = (System.nanoTime() - started) / 1e9;
      long timed = System.nanoTime();
      for (int i = 0; i < TIMED_ITERATIONS; i++) {
        distiller.step();
      }
      double perIteration = (System.nanoTime() - timed) / 1e9 / TIMED_ITERATIONS;
      return new Timing(Math.max(0, setup - perIteration), perIteration);
    }
  }

  private Pilot run(
      Setting setting,
      boolean[] heldOut,
      ImageSet initial,
      ImageSet validation,
      int batchReal,
      int iterations,
      long distillSeed,
      long evaluationSeed,
      int[] classIds) {
    long started = System.nanoTime();
    int[][] pools = pools(setting, heldOut);
    int kept = Arrays.stream(pools).mapToInt(p -> p.length).sum();
    ImageSet synthetic;
    try (NDManager manager = NDManager.newBaseManager(StageContext.device());
        Distiller distiller =
            DistillStage.newDistiller(
                context.spec(),
                manager,
                context.data().train(),
                initial,
                pools,
                batchReal,
                distillSeed,
                classIds)) {
      if (setting.causal() != null) {
        CausalSelectionSpec causal = context.spec().getSelection().getCausal();
        distiller.setCausalSelection(
            new CausalSelection(
                pools,
                causal.getKeepRatio(),
                causal.getRefreshInterval(),
                setting.causal(),
                context.spec().getDistillation().getImagesPerClass(),
                causal.getNetworks()));
      }
      while (distiller.iteration() < iterations) {
        distiller.step();
      }
      synthetic = distiller.snapshot();
    }
    long evaluated = System.nanoTime();
    double[] accuracies = evaluate(synthetic, validation, evaluationSeed);
    double seconds = (System.nanoTime() - started) / 1e9;
    Pilot pilot = new Pilot(setting, kept, accuracies, seconds);
    System.err.printf(
        "select: pilot %-40s kept %7d  validation accuracy %.4f +- %.4f  %.1f s (evaluation %.1f"
            + " s)%n",
        setting.label(),
        kept,
        pilot.mean(),
        pilot.error(),
        seconds,
        (System.nanoTime() - evaluated) / 1e9);
    return pilot;
  }

  /**
   * What {@link #evaluate} will cost for a synthetic set of {@code synthetic}'s size: two short
   * training runs and a scoring of one network, timed after warming up, scaled to all of its
   * networks and epochs. A tenth of a full evaluation's price, where evaluating the initial images
   * would cost a whole one.
   */
  private double estimateEvaluation(ImageSet synthetic, ImageSet validation) {
    DsaAugmentation augmentation = EvaluateStage.trainingAugmentation(context.spec(), synthetic);
    NetworkShape shape = shape(synthetic);
    try (NDManager manager = NDManager.newBaseManager(StageContext.device())) {
      Network network = Networks.create(manager, context.spec().getModel(), shape, true);
      Random random = new Random(0);
      // Untimed: the first epochs and the first scoring pay for allocations and warm-up.
      timeTraining(manager, network, synthetic, augmentation, WARM_UP_EPOCHS, random);
      ClassifierTraining.accuracy(manager, network, validation, 512);
      // Two runs of different lengths: their difference is the price of an epoch, the rest the
      // price of a training run (its set-up), which a few timed epochs alone would spread over
      // too few epochs (that overestimated an evaluation by half).
      double shortRun =
          timeTraining(manager, network, synthetic, augmentation, TIMED_EPOCHS, random);
      double longRun =
          timeTraining(manager, network, synthetic, augmentation, 3 * TIMED_EPOCHS, random);
      double perEpoch = Math.max(0, longRun - shortRun) / (2 * TIMED_EPOCHS);
      double perRun = Math.max(0, shortRun - TIMED_EPOCHS * perEpoch);
      long scored = System.nanoTime();
      ClassifierTraining.accuracy(manager, network, validation, 512);
      double scoring = (System.nanoTime() - scored) / 1e9;
      return EVALUATION_MODELS * (perRun + perEpoch * evaluationEpochs() + scoring);
    }
  }

  /** Seconds to train {@code network} on {@code synthetic} for {@code epochs}. */
  private static double timeTraining(
      NDManager manager,
      Network network,
      ImageSet synthetic,
      DsaAugmentation augmentation,
      int epochs,
      Random random) {
    long started = System.nanoTime();
    ClassifierTraining.train(
        manager,
        network,
        synthetic,
        ClassifierTraining.Settings.reference(epochs, augmentation, false),
        random,
        0,
        (step, total, loss) -> {});
    return (System.nanoTime() - started) / 1e9;
  }

  private NetworkShape shape(ImageSet synthetic) {
    return new NetworkShape(
        synthetic.channels(), synthetic.height(), synthetic.width(), context.data().classes());
  }

  private int evaluationEpochs() {
    return Math.min(EVALUATION_EPOCHS, context.spec().getEvaluation().getEpochs());
  }

  /** Validation accuracies of networks trained on {@code synthetic}, the same ones every time. */
  private double[] evaluate(ImageSet synthetic, ImageSet validation, long seed) {
    DsaAugmentation augmentation = EvaluateStage.trainingAugmentation(context.spec(), synthetic);
    NetworkShape shape = shape(synthetic);
    int epochs = evaluationEpochs();
    double[] accuracies = new double[EVALUATION_MODELS];
    Random evaluationRandom = new Random(seed);
    for (int m = 0; m < EVALUATION_MODELS; m++) {
      Engine.getInstance().setRandomSeed(evaluationRandom.nextInt(Integer.MAX_VALUE));
      try (NDManager manager = NDManager.newBaseManager(StageContext.device())) {
        Network network = Networks.create(manager, context.spec().getModel(), shape, true);
        ClassifierTraining.train(
            manager,
            network,
            synthetic,
            ClassifierTraining.Settings.reference(epochs, augmentation, true),
            new Random(evaluationRandom.nextLong()),
            0,
            (step, total, loss) -> {});
        accuracies[m] = ClassifierTraining.accuracy(manager, network, validation, 512);
      }
    }
    return accuracies;
  }

  /** Marks up to VALIDATION_PER_CLASS random samples of each class (at most a tenth of it). */
  private boolean[] validationSplit(int[] labels, int classes) {
    boolean[] heldOut = new boolean[labels.length];
    for (int c = 0; c < classes; c++) {
      int[] members = ImageSet.indicesOf(labels, c);
      int count = Math.min(VALIDATION_PER_CLASS, members.length / 10);
      if (count == 0) {
        continue;
      }
      for (int index : Distiller.drawFromPool(members, count, random)) {
        heldOut[index] = true;
      }
    }
    return heldOut;
  }

  private static int[] indices(boolean[] marks, boolean value) {
    return java.util.stream.IntStream.range(0, marks.length)
        .filter(i -> marks[i] == value)
        .toArray();
  }
}
