package dev.goldpan.worker.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.goldpan.api.v1alpha1.DropEnd;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import dev.goldpan.worker.io.AtomicFiles;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.stage.DistillStage;
import dev.goldpan.worker.stage.EvaluateStage;
import dev.goldpan.worker.stage.SelectStage;
import dev.goldpan.worker.stage.Workspace;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Function;

/**
 * Writes {@code report.html} (DESIGN §4): one self-contained page summarising a job from the
 * artifacts in its workspace: what ran where, the synthetic grid, the distillation loss curve, the
 * level-1 score histogram with the cut, the kept samples per class, the causal-effect quantiles
 * over time, the test accuracy and the stage timings. A section whose artifact is not there (yet)
 * says what is missing, so the report can be written at any point of a job.
 */
public final class ReportWriter {

  public static final String REPORT = "report.html";

  /** The order of {@code quantiles} in each entry of manifest.json {@code causal.refreshes}. */
  private static final List<String> ITE_QUANTILES = List.of("min", "25%", "median", "75%", "max");

  private static final int SHORT_DIGEST = 12;
  private static final String NOT_RECORDED = "not recorded";

  static {
    // The charts render off screen; a worker pod has no display. Respect an explicit choice.
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private ReportWriter() {}

  /** An artifact's content, or the sentence that says why it is not available. */
  private record Artifact<T>(T content, String absence) {
    boolean present() {
      return content != null;
    }
  }

  /**
   * Writes {@code report.html} into {@code workspace} atomically and publishes it.
   *
   * @return the report file
   * @throws StorageException if an artifact or the report cannot be read or written
   */
  public static Path write(Workspace workspace) {
    Artifact<JsonNode> manifest =
        readJson(workspace, Workspace.MANIFEST, "no stage has finished yet");
    Artifact<JsonNode> selection =
        readJson(workspace, SelectStage.SELECTION, "the select stage has not run");
    Artifact<float[]> scores =
        read(
            workspace,
            SelectStage.SCORES,
            "the select stage has not run, or the scores were not kept with this job's artifacts",
            Npy::readFloats);
    Artifact<byte[]> grid =
        read(
            workspace,
            DistillStage.PREVIEW,
            "the distill stage has not finished",
            ReportWriter::bytes);
    Artifact<JsonNode> evaluation =
        readJson(workspace, EvaluateStage.EVALUATION, "the evaluate stage has not run");

    JsonNode job = json(manifest);
    String title = "Goldpan report: " + text(job.path("name"));
    HtmlPage page = new HtmlPage(title);
    page.header(title, facts(job), manifest.present() ? List.of() : List.of(manifest.absence()));
    syntheticGrid(page, grid);
    lossCurve(page, manifest);
    scoreHistogram(page, scores, selection);
    keptPerClass(page, selection, job);
    selectionPilots(page, selection);
    causalEffects(page, manifest);
    accuracy(page, evaluation);
    timings(page, manifest);

    Path report = workspace.file(REPORT);
    byte[] html = page.render().getBytes(StandardCharsets.UTF_8);
    AtomicFiles.write(report, out -> out.write(html));
    workspace.publish(REPORT);
    return report;
  }

  /**
   * The global score at the selection boundary: the largest kept score when selection dropped the
   * largest scores, the smallest kept score when it dropped the smallest. Selection is per class,
   * so this is the loosest of the per-class cuts. Empty when no finite score was kept.
   *
   * @param kept per class, the kept sample indices into {@code scores}
   * @throws InvalidInputException if a kept index is not a sample of {@code scores}
   */
  static OptionalDouble cut(float[] scores, int[][] kept, DropEnd drop) {
    double boundary = drop == DropEnd.LARGEST ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    boolean found = false;
    for (int[] indices : kept) {
      for (int index : indices) {
        if (index < 0 || index >= scores.length) {
          throw new InvalidInputException(
              SelectStage.SELECTION
                  + " keeps sample "
                  + index
                  + ", but "
                  + SelectStage.SCORES
                  + " holds "
                  + scores.length
                  + " scores");
        }
        float score = scores[index];
        if (Float.isFinite(score)) {
          boundary =
              drop == DropEnd.LARGEST ? Math.max(boundary, score) : Math.min(boundary, score);
          found = true;
        }
      }
    }
    return found ? OptionalDouble.of(boundary) : OptionalDouble.empty();
  }

  private static Map<String, String> facts(JsonNode job) {
    JsonNode dataset = job.path("dataset");
    Map<String, String> facts = new LinkedHashMap<>();
    facts.put("Job", text(job.path("name")));
    facts.put(
        "Dataset",
        dataset.isMissingNode()
            ? NOT_RECORDED
            : text(dataset.path("format"))
                + ", "
                + text(dataset.path("source"))
                + " (train "
                + text(dataset.path("train"))
                + ", test "
                + text(dataset.path("test"))
                + ", "
                + text(dataset.path("classes"))
                + " classes)");
    String digest = text(dataset.path("sha256"));
    facts.put(
        "SHA-256",
        digest.length() > SHORT_DIGEST ? digest.substring(0, SHORT_DIGEST) + "…" : digest);
    Set<String> devices = new LinkedHashSet<>();
    job.path("stages").forEach(stage -> devices.add(text(stage.path("device"))));
    facts.put("Device", devices.isEmpty() ? NOT_RECORDED : String.join(", ", devices));
    List<String> versions = new ArrayList<>();
    job.path("versions")
        .properties()
        .forEach(entry -> versions.add(entry.getKey() + " " + text(entry.getValue())));
    facts.put("Versions", versions.isEmpty() ? NOT_RECORDED : String.join(", ", versions));
    facts.put("Seed", text(job.path("seed")));
    return facts;
  }

  private static void syntheticGrid(HtmlPage page, Artifact<byte[]> grid) {
    page.openSection("synthetic", "Synthetic images");
    if (grid.present()) {
      page.png(grid.content(), "synthetic images, one row per class");
      page.caption("One row per class, de-normalised.");
    } else {
      page.missing(grid.absence());
    }
    page.closeSection();
  }

  private static void lossCurve(HtmlPage page, Artifact<JsonNode> manifest) {
    page.openSection("loss-curve", "Distillation loss");
    JsonNode curve = json(manifest).path("distillation").path("lossCurve");
    if (!manifest.present()) {
      page.missing(manifest.absence());
    } else if (!curve.isArray() || curve.isEmpty()) {
      page.missing(
          Workspace.MANIFEST
              + " has no distillation.lossCurve: the distill stage has not finished.");
    } else {
      double[] iterations = new double[curve.size()];
      double[] losses = new double[curve.size()];
      for (int i = 0; i < curve.size(); i++) {
        iterations[i] = curve.get(i).path(0).asDouble();
        losses[i] = curve.get(i).path(1).asDouble();
      }
      String algorithm =
          text(manifest.content().path("spec").path("distillation").path("algorithm"));
      page.png(ReportCharts.lossCurve(iterations, losses), "distillation loss by iteration");
      page.caption(
          String.format(
              Locale.ROOT,
              "Loss of the %s distillation, recorded at %d iterations; %.4g at iteration %d.",
              algorithm,
              curve.size(),
              losses[losses.length - 1],
              (long) iterations[iterations.length - 1]));
    }
    page.closeSection();
  }

  private static void scoreHistogram(
      HtmlPage page, Artifact<float[]> scores, Artifact<JsonNode> selection) {
    page.openSection("scores", "Level-1 scores");
    if (!scores.present()) {
      page.missing(scores.absence() + " There is no score histogram.");
      page.closeSection();
      return;
    }
    float[] values = scores.content();
    int nonFinite = 0;
    for (float value : values) {
      nonFinite += Float.isFinite(value) ? 0 : 1;
    }
    OptionalDouble cut = OptionalDouble.empty();
    DropEnd drop = null;
    String cutProblem = null;
    if (!selection.present()) {
      cutProblem = selection.absence();
    } else {
      try {
        drop = dropEnd(selection.content());
        cut = cut(values, SelectStage.keptIndices(selection.content()), drop);
        if (cut.isEmpty()) {
          cutProblem = SelectStage.SELECTION + " keeps no sample with a finite score.";
        }
      } catch (InvalidInputException e) {
        cutProblem = e.getMessage() + ".";
      }
    }
    String cutLabel =
        drop == DropEnd.LARGEST ? "cut: largest kept score" : "cut: smallest kept score";
    page.png(
        ReportCharts.scoreHistogram(values, cut, cutLabel),
        "histogram of the level-1 scores with the selection cut");
    StringBuilder caption =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "Distribution of the %d level-1 scores%s",
                values.length,
                selection.present()
                    ? " (criterion " + text(selection.content().path("criterion")) + ")"
                    : ""));
    caption.append(
        nonFinite == 0 ? "." : String.format(Locale.ROOT, "; %d non-finite left out.", nonFinite));
    if (cut.isPresent()) {
      boolean largest = drop == DropEnd.LARGEST;
      caption.append(
          String.format(
              Locale.ROOT,
              " The red line is the %s kept score, %.4g: selection dropped the %s scores and"
                  + " kept a fraction %s of each class. Selection is per class, so every sample %s"
                  + " the line was dropped, while classes whose own boundary lies %s also dropped"
                  + " samples %s it.",
              largest ? "largest" : "smallest",
              cut.getAsDouble(),
              largest ? "largest" : "smallest",
              text(selection.content().path("keepRatio")),
              largest ? "above" : "below",
              largest ? "lower" : "higher",
              largest ? "below" : "above"));
    }
    page.caption(caption.toString());
    if (cutProblem != null) {
      page.missing("The cut is not marked: " + cutProblem);
    }
    page.closeSection();
  }

  /** The pilot table of {@code selection.mode: auto}; nothing for the other modes. */
  private static void selectionPilots(HtmlPage page, Artifact<JsonNode> selection) {
    JsonNode auto = json(selection).path("auto");
    if (!auto.isObject()) {
      return;
    }
    page.openSection("selection-pilots", "Selection pilots");
    List<List<String>> rows = new ArrayList<>();
    for (JsonNode pilot : auto.path("pilots")) {
      boolean skipped = pilot.has("skipped");
      rows.add(
          List.of(
              text(pilot.path("setting")),
              skipped ? "" : text(pilot.path("kept")),
              skipped
                  ? text(pilot.path("skipped"))
                  : String.format(
                      "%.2f +- %.2f",
                      100 * pilot.path("accuracy").asDouble(),
                      100 * pilot.path("error").asDouble()),
              skipped ? "" : String.format("%.1f", pilot.path("seconds").asDouble())));
    }
    page.table(
        List.of("setting", "real samples", "validation accuracy (%)", "seconds"),
        rows,
        List.of(1, 3));
    page.caption(
        String.format(
            "Chosen: %s. Each pilot ran %d iterations with %d real samples per class per"
                + " iteration and was scored on %d held-out training samples; a setting replaces"
                + " the best so far only when it is better by more than %.0f points and the"
                + " noise.",
            text(auto.path("chosen")),
            auto.path("pilotIterations").asInt(),
            auto.path("pilotBatchReal").asInt(),
            auto.path("validationSamples").asInt(),
            100 * auto.path("margin").asDouble()));
    if (auto.path("pilotIterationsFixed").asBoolean()) {
      page.caption(
          String.format(
              "The pilots' length was fixed by spec.selection.auto.pilotIterations, so every"
                  + " setting ran and no time budget applied; they took %.0f s.",
              auto.path("spentSeconds").asDouble()));
    } else {
      page.caption(
          String.format(
              "The pilots took %.0f s of a budget of %.0f s (%.0f%% of the distill stage's"
                  + " estimated %.0f s).",
              auto.path("spentSeconds").asDouble(),
              auto.path("budgetSeconds").asDouble(),
              100 * auto.path("budget").asDouble(),
              auto.path("estimatedDistillSeconds").asDouble()));
    }
    if (auto.has("estimatedEvaluationSeconds")) {
      page.caption(
          String.format(
              "A pilot's evaluation was estimated at %.1f s (two timed training runs) and its"
                  + " iterations sized to fit the rest of its share of the budget.",
              auto.path("estimatedEvaluationSeconds").asDouble()));
    }
    page.closeSection();
  }

  private static void keptPerClass(HtmlPage page, Artifact<JsonNode> selection, JsonNode job) {
    page.openSection("kept-per-class", "Kept samples per class");
    JsonNode perClass = json(selection).path("keptPerClass");
    if (!selection.present()) {
      page.missing(selection.absence());
    } else if (!perClass.isArray() || perClass.isEmpty()) {
      page.missing(SelectStage.SELECTION + " has no keptPerClass.");
    } else {
      List<String> classes = classNames(job.path("dataset").path("classNames"), perClass.size());
      List<Integer> counts = new ArrayList<>();
      perClass.forEach(count -> counts.add(count.asInt()));
      page.png(ReportCharts.keptPerClass(classes, counts), "kept real samples per class");
      JsonNode content = selection.content();
      page.caption(
          "Kept "
              + text(content.path("kept"))
              + " of "
              + text(content.path("total"))
              + " real samples: a fraction "
              + text(content.path("keepRatio"))
              + " of each class (at least "
              + text(content.path("imagesPerClass"))
              + "), dropping the "
              + text(content.path("drop"))
              + " "
              + text(content.path("criterion"))
              + " scores.");
    }
    page.closeSection();
  }

  private static void causalEffects(HtmlPage page, Artifact<JsonNode> manifest) {
    page.openSection("causal", "Causal effects over time");
    if (!manifest.present()) {
      page.missing(manifest.absence());
      page.closeSection();
      return;
    }
    JsonNode refreshes = manifest.content().path("causal").path("refreshes");
    if (!refreshes.isArray() || refreshes.isEmpty()) {
      JsonNode enabled =
          manifest.content().path("spec").path("selection").path("causal").path("enabled");
      page.caption(
          !enabled.isBoolean()
              ? "No causal refresh is recorded in manifest.json: causal selection is disabled or"
                  + " has not refreshed yet."
              : enabled.asBoolean()
                  ? "Causal selection is enabled, but no refresh is recorded in manifest.json yet."
                  : "Causal selection (level 2) is disabled for this job, so distillation draws"
                      + " its real batches from the whole statically kept pool.");
      page.closeSection();
      return;
    }
    double[] iterations = new double[refreshes.size()];
    double[][] quantiles = new double[ITE_QUANTILES.size()][refreshes.size()];
    for (int r = 0; r < refreshes.size(); r++) {
      JsonNode refresh = refreshes.get(r);
      JsonNode values = refresh.path("quantiles");
      if (values.size() != ITE_QUANTILES.size()) {
        page.missing(
            Workspace.MANIFEST
                + " causal.refreshes["
                + r
                + "] has "
                + values.size()
                + " quantiles; expected "
                + String.join(", ", ITE_QUANTILES)
                + ".");
        page.closeSection();
        return;
      }
      iterations[r] = refresh.path("iteration").asDouble();
      for (int q = 0; q < ITE_QUANTILES.size(); q++) {
        quantiles[q][r] = values.get(q).asDouble();
      }
    }
    JsonNode last = refreshes.get(refreshes.size() - 1);
    page.png(
        ReportCharts.iteQuantiles(iterations, ITE_QUANTILES, quantiles),
        "quantiles of the individual treatment effects by iteration");
    page.caption(
        "Quantiles of the individual treatment effect ITE_i = ‖dL(P_c, S_c)/dS_c −"
            + " dL(P_c \\ {i}, S_c)/dS_c‖ over the candidates at each of "
            + refreshes.size()
            + " refreshes; after the last (iteration "
            + text(last.path("iteration"))
            + ") "
            + text(last.path("active"))
            + " real samples were active.");
    page.closeSection();
  }

  private static void accuracy(HtmlPage page, Artifact<JsonNode> evaluation) {
    page.openSection("accuracy", "Test accuracy");
    if (!evaluation.present()) {
      page.missing(evaluation.absence());
      page.closeSection();
      return;
    }
    JsonNode content = evaluation.content();
    List<List<String>> rows = new ArrayList<>();
    rows.add(accuracyRow("synthetic", content.path("synthetic")));
    content
        .path("baselines")
        .properties()
        .forEach(entry -> rows.add(accuracyRow(entry.getKey(), entry.getValue())));
    page.table(
        List.of("trained on", "accuracy (mean ± std)", "models", "individual accuracies"),
        rows,
        List.of(1, 2));
    page.caption(
        "Test accuracy of "
            + text(content.path("models"))
            + " ConvNets per row, each trained for "
            + text(content.path("epochs"))
            + " epochs; the synthetic set holds "
            + text(content.path("syntheticImages"))
            + " images, and each baseline trains the same way on real samples.");
    page.closeSection();
  }

  private static List<String> accuracyRow(String trainedOn, JsonNode accuracy) {
    List<String> individual = new ArrayList<>();
    accuracy.path("accuracies").forEach(value -> individual.add(percent(value) + " %"));
    return List.of(
        trainedOn,
        percent(accuracy.path("mean")) + " ± " + percent(accuracy.path("std")) + " %",
        String.valueOf(individual.size()),
        individual.isEmpty() ? NOT_RECORDED : String.join(", ", individual));
  }

  private static void timings(HtmlPage page, Artifact<JsonNode> manifest) {
    page.openSection("timings", "Stage timings");
    JsonNode stages = json(manifest).path("stages");
    if (!manifest.present()) {
      page.missing(manifest.absence());
    } else if (!stages.isObject() || stages.isEmpty()) {
      page.missing(Workspace.MANIFEST + " records no finished stage yet.");
    } else {
      List<List<String>> rows = new ArrayList<>();
      double total = 0;
      for (Map.Entry<String, JsonNode> stage : stages.properties()) {
        JsonNode entry = stage.getValue();
        double seconds = entry.path("seconds").asDouble();
        total += seconds;
        rows.add(
            List.of(
                stage.getKey(),
                String.format(Locale.ROOT, "%.1f", seconds),
                text(entry.path("device")),
                text(entry.path("finishedAt")),
                text(entry.path("summary").path("message"))));
      }
      page.table(List.of("stage", "seconds", "device", "finished at", "summary"), rows, List.of(1));
      page.caption(
          String.format(
              Locale.ROOT,
              "%.1f s in %d stage%s; stages of different pods may have run in parallel.",
              total,
              rows.size(),
              rows.size() == 1 ? "" : "s"));
    }
    page.closeSection();
  }

  private static <T> Artifact<T> read(
      Workspace workspace, String name, String whyMissing, Function<Path, T> reader) {
    if (!workspace.exists(name)) {
      return new Artifact<>(null, name + " is missing: " + whyMissing + ".");
    }
    try {
      return new Artifact<>(reader.apply(workspace.file(name)), null);
    } catch (InvalidInputException e) {
      return new Artifact<>(null, name + " cannot be read: " + e.getMessage());
    }
  }

  private static Artifact<JsonNode> readJson(Workspace workspace, String name, String whyMissing) {
    return read(workspace, name, whyMissing, file -> workspace.readJson(name));
  }

  private static byte[] bytes(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new StorageException("cannot read " + file + ": " + e, e);
    }
  }

  private static DropEnd dropEnd(JsonNode selection) {
    String drop = selection.path("drop").asText();
    for (DropEnd end : DropEnd.values()) {
      if (end.value().equals(drop)) {
        return end;
      }
    }
    throw new InvalidInputException(
        SelectStage.SELECTION + " has drop \"" + drop + "\"; expected largest or smallest");
  }

  /** The data set's class names when manifest.json lists one per class, else the indices. */
  private static List<String> classNames(JsonNode names, int classes) {
    List<String> labels = new ArrayList<>();
    for (int c = 0; c < classes; c++) {
      labels.add(names.size() == classes ? text(names.get(c)) : String.valueOf(c));
    }
    return labels;
  }

  /** The artifact's JSON, or a missing node whose every path is missing too. */
  private static JsonNode json(Artifact<JsonNode> artifact) {
    return artifact.present() ? artifact.content() : MissingNode.getInstance();
  }

  private static String percent(JsonNode fraction) {
    return fraction.isNumber()
        ? String.format(Locale.ROOT, "%.2f", 100 * fraction.asDouble())
        : NOT_RECORDED;
  }

  private static String text(JsonNode node) {
    return node.isMissingNode() || node.isNull() ? NOT_RECORDED : node.asText();
  }
}
