package dev.goldpan.worker.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.api.v1alpha1.CausalKeep;
import dev.goldpan.api.v1alpha1.CausalSelectionSpec;
import dev.goldpan.api.v1alpha1.DropEnd;
import dev.goldpan.api.v1alpha1.SelectionMode;
import dev.goldpan.api.v1alpha1.SelectionSpec;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import dev.goldpan.api.v1alpha1.StaticSelectionSpec;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.data.Split;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.io.NpyArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Level-1 selection (DESIGN §3 step 2): merges the ensemble's scores (or reads precomputed ones)
 * into {@code scores.npy}, keeps per class the samples away from the {@code drop} end, and writes
 * {@code selection.json} with the causal selection the distill stage is to run. With {@code mode:
 * auto}, pilot distillations choose the keep ratio, the criterion and the causal rule ({@link
 * SelectionPilots}); with {@code mode: none}, every sample is kept and nothing is scored.
 */
public final class SelectStage {

  public static final String SCORES = "scores.npy";
  public static final String SELECTION = "selection.json";

  /** What selection kept. */
  public record SelectResult(int kept, int[] keptPerClass, String message) {}

  private final StageContext context;

  public SelectStage(StageContext context) {
    this.context = context;
  }

  public SelectResult run() {
    SelectionSpec selection = context.spec().getSelection();
    StaticSelectionSpec spec = selection.getStaticSelection();
    PreparedData data = context.data();
    int imagesPerClass = context.spec().getDistillation().getImagesPerClass();
    ObjectNode record = Workspace.JSON.createObjectNode();
    record.put("mode", selection.getMode().value());
    int[][] kept;
    CausalSelectionSpec causal = selection.getCausal();
    if (selection.getMode() == SelectionMode.NONE) {
      kept =
          StaticSelection.keep(
              data.trainLabels(),
              data.classes(),
              new float[data.size(Split.TRAIN)],
              1.0,
              DropEnd.LARGEST,
              imagesPerClass);
      causal = causalWith(causal, null);
      record.put("criterion", "none");
      record.put("keepRatio", 1.0);
    } else {
      float[] scores = scores(spec, data);
      if (selection.getMode() == SelectionMode.AUTO) {
        SelectionPilots.Choice choice =
            new SelectionPilots(context, scores, context.random("select-auto", 0)).choose();
        kept = choice.kept();
        causal = choice.causal();
        record.put("criterion", choice.criterion());
        record.put("keepRatio", choice.keepRatio());
        record.set("auto", choice.record());
      } else {
        kept =
            StaticSelection.keep(
                data.trainLabels(),
                data.classes(),
                scores,
                spec.getKeepRatio(),
                spec.getDrop(),
                imagesPerClass);
        record.put("criterion", spec.getCriterion().value());
        record.put("keepRatio", spec.getKeepRatio());
      }
    }
    record.put("drop", spec.getDrop().value());
    record.put("imagesPerClass", imagesPerClass);
    record.set("causal", Workspace.JSON.valueToTree(causal));
    ArrayNode perClass = record.putArray("keptPerClass");
    int total = 0;
    int[] counts = new int[kept.length];
    for (int c = 0; c < kept.length; c++) {
      counts[c] = kept[c].length;
      total += kept[c].length;
      perClass.add(kept[c].length);
    }
    HistoryJson.writeIndexLists(record.putArray("indices"), kept);
    record.put("kept", total);
    record.put("total", data.size(Split.TRAIN));
    context.workspace().writeJson(SELECTION, record);
    return new SelectResult(total, counts, describe(record));
  }

  /** One line for the stage's status: what was kept, and what auto chose. */
  static String describe(JsonNode record) {
    String kept = "kept " + record.path("kept").asInt() + " real samples";
    if (!record.path("mode").asText().equals(SelectionMode.AUTO.value())) {
      return kept;
    }
    return kept + "; auto chose " + record.path("auto").path("chosen").asText();
  }

  /** The scores of every training sample by the static criterion, also written to scores.npy. */
  private float[] scores(StaticSelectionSpec spec, PreparedData data) {
    float[] scores =
        spec.getCriterion() == StaticCriterion.PRECOMPUTED ? precomputed(spec) : ensembleMean(spec);
    if (scores.length != data.size(Split.TRAIN)) {
      throw new InvalidInputException(
          (spec.getCriterion() == StaticCriterion.PRECOMPUTED
                  ? "spec.selection.static.scoresSource " + spec.getScoresSource()
                  : "the ensemble's scores")
              + " hold "
              + scores.length
              + " scores, the training split has "
              + data.size(Split.TRAIN)
              + " samples");
    }
    Npy.write(context.workspace().file(SCORES), NpyArray.float32(scores, scores.length));
    context.workspace().publish(SCORES);
    return scores;
  }

  /**
   * A copy of {@code causal} that runs causal selection with {@code keep}, or not at all when
   * {@code keep} is null.
   */
  static CausalSelectionSpec causalWith(CausalSelectionSpec causal, CausalKeep keep) {
    CausalSelectionSpec copy = Workspace.JSON.convertValue(causal, CausalSelectionSpec.class);
    copy.setEnabled(keep != null);
    if (keep != null) {
      copy.setKeep(keep);
    }
    return copy;
  }

  /**
   * The causal selection the distill stage runs, as {@code selection} (a parsed {@code
   * selection.json}) records it (the spec's, or auto's choice); the spec's for a record written
   * before it was recorded.
   */
  public static CausalSelectionSpec causalOf(JsonNode selection, CausalSelectionSpec spec) {
    JsonNode causal = selection.path("causal");
    if (!causal.isObject()) {
      return spec;
    }
    return Workspace.JSON.convertValue(causal, CausalSelectionSpec.class);
  }

  /** Per class, the kept indices recorded in {@code selection.json}. */
  public static int[][] readKept(Workspace workspace) {
    return keptIndices(workspace.readJson(SELECTION));
  }

  /** Per class, the kept indices of a parsed {@code selection.json}. */
  public static int[][] keptIndices(JsonNode selection) {
    JsonNode indices = selection.path("indices");
    if (!indices.isArray()) {
      throw new InvalidInputException(SELECTION + " has no indices");
    }
    return HistoryJson.readIndexLists(indices);
  }

  private float[] ensembleMean(StaticSelectionSpec spec) {
    int ensemble = spec.getScoring().getEnsemble();
    float[] mean = null;
    for (int index = 0; index < ensemble; index++) {
      Path file = context.workspace().file(ScoreStage.fileName(index));
      if (!Files.isRegularFile(file)) {
        throw new InvalidInputException(
            file + " is missing: the score stage of ensemble member " + index + " has not run");
      }
      float[] scores = Npy.readFloats(file);
      if (mean == null) {
        mean = new float[scores.length];
      } else if (scores.length != mean.length) {
        throw new InvalidInputException(
            file + " holds " + scores.length + " scores, member 0 holds " + mean.length);
      }
      for (int i = 0; i < scores.length; i++) {
        mean[i] += scores[i] / ensemble;
      }
    }
    return mean;
  }

  private float[] precomputed(StaticSelectionSpec spec) {
    String source = spec.getScoresSource();
    if (source == null) {
      throw new InvalidInputException(
          "spec.selection.static.scoresSource is required for criterion precomputed");
    }
    Path file = context.locations().resolve(source, "spec.selection.static.scoresSource");
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException(
          "spec.selection.static.scoresSource: " + file + " does not exist");
    }
    if (file.getFileName().toString().endsWith(".npy")) {
      return Npy.readFloats(file);
    }
    try {
      JsonNode array = Workspace.JSON.readTree(file.toFile());
      if (!array.isArray()) {
        throw new InvalidInputException(
            "spec.selection.static.scoresSource: " + file + " is not a JSON array");
      }
      float[] scores = new float[array.size()];
      for (int i = 0; i < scores.length; i++) {
        if (!array.get(i).isNumber()) {
          throw new InvalidInputException(
              "spec.selection.static.scoresSource: " + file + " element " + i + " is not a number");
        }
        scores[i] = array.get(i).floatValue();
      }
      return scores;
    } catch (IOException e) {
      throw new InvalidInputException(
          "spec.selection.static.scoresSource: "
              + file
              + " is neither .npy nor a JSON array: "
              + e.getMessage(),
          e);
    }
  }
}
