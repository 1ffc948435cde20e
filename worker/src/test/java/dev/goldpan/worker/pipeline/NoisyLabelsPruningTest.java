package dev.goldpan.worker.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.worker.cli.GoldpanWorker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data with ores in it: a 5,000-image Fashion-MNIST subset with two fifths of its training labels
 * moved to another class at random (the test set stays clean). Mislabelled samples keep a large
 * loss after training, so loss-converge pruning (drop the largest) removes most of them, and the
 * class means that distribution matching learns are cleaner. Full data and pruning start from the
 * same initial images and see the same networks; only the real samples matched differ.
 *
 * <p>On 2,000 images with a fifth of the labels flipped, loss-converge 0.5 led full data by 1.8
 * points with float32 real embeddings and 1.1 with bfloat16 (4 networks each), too close to the
 * 1-point margin, and auto's pilots could not tell the two apart. Here the lead is 2.9 (float32)
 * and 3.1 (bfloat16), and every pruned network beat every full-data one.
 */
class NoisyLabelsPruningTest {

  @TempDir static Path work;
  private static Path data;
  private static int[] flipped;

  @BeforeAll
  static void noisySubset() throws IOException {
    data = work.resolve("fashion-mnist-5k-noisy");
    FashionMnistSubset.write(data, 500, 100);
    flipped = FashionMnistSubset.flipTrainingLabels(data, 0.4, 3);
  }

  @Test
  void lossConvergePruningBeatsFullData() throws IOException {
    JsonNode full = run("full", 7, "{mode: none}", 200);
    JsonNode pruned =
        run(
            "pruned",
            7,
            "{static: {criterion: loss-converge, keepRatio: 0.5, scoring: {epochs: 4, initEpochs: 1}}}",
            200);

    double fullAccuracy = full.at("/synthetic/mean").asDouble();
    double prunedAccuracy = pruned.at("/synthetic/mean").asDouble();
    System.out.printf(
        "noisy labels: full %.4f +- %.4f, loss-converge 0.5 %.4f +- %.4f, gain %.1f points%n",
        fullAccuracy,
        full.at("/synthetic/std").asDouble(),
        prunedAccuracy,
        pruned.at("/synthetic/std").asDouble(),
        100 * (prunedAccuracy - fullAccuracy));
    // Measured: +2.9 points here with float32 real embeddings, +3.1 with bfloat16 (seed 7); +2.7
    // +- 0.4 on the whole of Fashion-MNIST with a fifth flipped, at 300 iterations over 3 seeds
    // (docs/benchmarks.md, issue 11).
    assertThat(prunedAccuracy).isGreaterThan(fullAccuracy + MARGIN);

    JsonNode selection = readJson(work.resolve("out-pruned/selection.json"));
    long flippedKept = Arrays.stream(flipped).filter(i -> kept(selection, i)).count();
    System.out.printf("flipped labels kept: %d of %d%n", flippedKept, flipped.length);
    // Half the data is kept; at random, half the flipped samples would be.
    assertThat(flippedKept).isLessThan(flipped.length / 4);
  }

  /**
   * Pilots of a fixed length ({@code auto.pilotIterations}), so the choice cannot depend on the
   * machine's speed or load. A time budget did: on a busy CI machine the pilots came out too short
   * to tell the settings apart, and auto kept full data. At 300 pilot iterations on this data (500
   * samples held out), loss-converge 0.5 led full data by 3.2 validation points with bfloat16 real
   * embeddings and 2.7 with float32 on seed 8, 1.7 on seed 7, and won each time.
   */
  @Test
  void autoWithFixedPilotsChoosesPruning() throws IOException {
    JsonNode selection = runAuto("auto", 8, "{pilotIterations: 300}", 100);
    JsonNode auto = selection.path("auto");
    // Nothing was timed and every setting ran, each for the iterations asked.
    assertThat(auto.path("pilotIterationsFixed").asBoolean()).isTrue();
    assertThat(auto.has("budgetSeconds")).isFalse();
    assertThat(auto.path("pilots")).hasSize(7);
    for (JsonNode pilot : auto.path("pilots")) {
      assertThat(pilot.has("skipped")).as(pilot.toString()).isFalse();
    }
    assertThat(auto.path("pilotIterations").asInt()).isEqualTo(300);
    assertThat(auto.path("pilots").get(0).path("setting").asText()).isEqualTo("full");
    assertThat(auto.path("chosen").asText()).startsWith("loss-converge");
    assertThat(selection.path("kept").asInt()).isLessThan(5000);
    JsonNode manifest = readJson(work.resolve("out-auto/manifest.json"));
    assertThat(manifest.at("/selection/auto/chosen").asText())
        .isEqualTo(auto.path("chosen").asText());
    assertThat(Files.readString(work.resolve("out-auto/report.html")))
        .contains("Selection pilots")
        .contains("fixed by spec.selection.auto.pilotIterations")
        .contains(auto.path("chosen").asText());
  }

  /**
   * Under a time budget, the pilots are sized around a timed estimate of their evaluation. Here the
   * budget (a fifth of a 20-iteration stage) is far smaller than one evaluation on any machine, so
   * the full-data pilot runs alone, the other settings are recorded as skipped, and auto keeps full
   * data without comparing anything.
   */
  @Test
  void aBudgetThatPaysForOnePilotKeepsFullData() throws IOException {
    JsonNode selection = runAuto("budget", 7, "{budget: 0.2}", 20);
    JsonNode auto = selection.path("auto");
    assertThat(auto.path("pilotIterationsFixed").asBoolean()).isFalse();
    JsonNode pilots = auto.path("pilots");
    assertThat(pilots).hasSize(7);
    assertThat(pilots.get(0).path("setting").asText()).isEqualTo("full");
    assertThat(pilots.get(0).has("skipped")).isFalse();
    for (int i = 1; i < pilots.size(); i++) {
      assertThat(pilots.get(i).path("skipped").asText()).isEqualTo("budget spent");
    }
    assertThat(auto.path("chosen").asText()).isEqualTo("full");
    assertThat(selection.path("kept").asInt()).isEqualTo(5000);
    // The pilot ran the evaluation that was estimated: its time covers most of the estimate.
    double evaluation = auto.path("estimatedEvaluationSeconds").asDouble();
    assertThat(evaluation).isPositive();
    assertThat(pilots.get(0).path("seconds").asDouble()).isGreaterThan(0.5 * evaluation);
    assertThat(auto.path("budgetSeconds").asDouble())
        .isLessThan(auto.path("spentSeconds").asDouble());
    assertThat(Files.readString(work.resolve("out-budget/report.html")))
        .contains("of a budget of")
        .contains("evaluation was estimated at");
  }

  private static final double MARGIN = 0.01;

  /**
   * A run of selection auto with {@code auto} as its settings and loss-converge as its criterion;
   * its selection.json, with the pilot table printed.
   */
  private JsonNode runAuto(String name, long seed, String auto, int iterations) throws IOException {
    run(
        name,
        seed,
        "{mode: auto, auto: %s, static: {criterion: loss-converge, scoring: {epochs: 4, initEpochs: 1}}}"
            .formatted(auto),
        iterations);
    JsonNode selection = readJson(work.resolve("out-" + name + "/selection.json"));
    System.out.println(name + ": " + selection.path("auto").toPrettyString());
    return selection;
  }

  private static boolean kept(JsonNode selection, int index) {
    for (JsonNode members : selection.path("indices")) {
      for (JsonNode member : members) {
        if (member.asInt() == index) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * One run with {@code seed} at small settings (one image per class) of {@code iterations}; its
   * evaluation.json.
   */
  private JsonNode run(String name, long seed, String selection, int iterations)
      throws IOException {
    Path manifest = work.resolve(name + ".yaml");
    Files.writeString(
        manifest,
        """
        apiVersion: goldpan.dev/v1alpha1
        kind: DistillationJob
        metadata: {name: %s}
        spec:
          dataset: {format: idx, source: 'pvc://fashion-mnist/'}
          model: {depth: 3, width: 32}
          selection: %s
          distillation: {imagesPerClass: 1, iterations: %d, batchReal: 32}
          evaluation: {models: 4, epochs: 300, baselines: []}
          output: {location: 'file:///unused'}
          seed: %d
        """
            .formatted(name, selection, iterations, seed));
    Path output = work.resolve("out-" + name);
    int exitCode =
        GoldpanWorker.execute(
            "run",
            manifest.toString(),
            "--output",
            output.toString(),
            "--volume",
            "fashion-mnist=" + data);
    assertThat(exitCode).as("exit code of %s", name).isZero();
    return readJson(output.resolve("evaluation.json"));
  }

  private static JsonNode readJson(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile());
  }
}
