package dev.goldpan.worker.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import dev.goldpan.api.v1alpha1.StaticSelectionSpec;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.io.Npy;
import dev.goldpan.worker.io.NpyArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Level-1 selection (DESIGN §3 step 2): merges the ensemble's scores (or reads precomputed ones)
 * into {@code scores.npy}, keeps per class the samples away from the {@code drop} end, and writes
 * {@code selection.json}.
 */
public final class SelectStage {

  public static final String SCORES = "scores.npy";
  public static final String SELECTION = "selection.json";

  /** What selection kept. */
  public record SelectResult(int kept, int[] keptPerClass) {}

  private final StageContext context;

  public SelectStage(StageContext context) {
    this.context = context;
  }

  public SelectResult run() {
    StaticSelectionSpec spec = context.spec().getSelection().getStaticSelection();
    PreparedData data = context.data();
    float[] scores =
        spec.getCriterion() == StaticCriterion.PRECOMPUTED ? precomputed(spec) : ensembleMean(spec);
    if (scores.length != data.train().size()) {
      throw new InvalidInputException(
          (spec.getCriterion() == StaticCriterion.PRECOMPUTED
                  ? "spec.selection.static.scoresSource " + spec.getScoresSource()
                  : "the ensemble's scores")
              + " hold "
              + scores.length
              + " scores, the training split has "
              + data.train().size()
              + " samples");
    }
    Npy.write(context.workspace().file(SCORES), NpyArray.float32(scores, scores.length));
    context.workspace().publish(SCORES);
    int[][] kept =
        StaticSelection.keep(
            data.train().labels(),
            data.classes(),
            scores,
            spec.getKeepRatio(),
            spec.getDrop(),
            context.spec().getDistillation().getImagesPerClass());
    ObjectNode selection = Workspace.JSON.createObjectNode();
    selection.put("criterion", spec.getCriterion().value());
    selection.put("drop", spec.getDrop().value());
    selection.put("keepRatio", spec.getKeepRatio());
    selection.put("imagesPerClass", context.spec().getDistillation().getImagesPerClass());
    ArrayNode perClass = selection.putArray("keptPerClass");
    int total = 0;
    int[] counts = new int[kept.length];
    for (int c = 0; c < kept.length; c++) {
      counts[c] = kept[c].length;
      total += kept[c].length;
      perClass.add(kept[c].length);
    }
    HistoryJson.writeIndexLists(selection.putArray("indices"), kept);
    selection.put("kept", total);
    selection.put("total", data.train().size());
    context.workspace().writeJson(SELECTION, selection);
    return new SelectResult(total, counts);
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
