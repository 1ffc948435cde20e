package dev.goldpan.worker.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.worker.engine.CausalSelection;
import java.util.ArrayList;
import java.util.List;

/**
 * The JSON form of a distillation's history, shared by checkpoints and manifest.json: the loss
 * curve as {@code [[iteration, loss], ...]} and causal refreshes as {@code [{iteration, active,
 * quantiles: [min, q25, median, q75, max], meanShift}, ...]}; per-class index lists (kept samples,
 * active pools) as {@code [[i, ...], ...]}.
 */
final class HistoryJson {

  private HistoryJson() {}

  static void writeLossCurve(ArrayNode target, List<double[]> curve) {
    for (double[] point : curve) {
      target.addArray().add((long) point[0]).add(point[1]);
    }
  }

  static List<double[]> readLossCurve(JsonNode source) {
    List<double[]> curve = new ArrayList<>();
    for (JsonNode point : source) {
      curve.add(new double[] {point.get(0).asDouble(), point.get(1).asDouble()});
    }
    return curve;
  }

  static void writeRefreshes(ArrayNode target, List<CausalSelection.Refresh> refreshes) {
    for (CausalSelection.Refresh refresh : refreshes) {
      ObjectNode entry = target.addObject();
      entry.put("iteration", refresh.iteration());
      entry.put("active", refresh.active());
      ArrayNode quantiles = entry.putArray("quantiles");
      for (double quantile : refresh.quantiles()) {
        quantiles.add(quantile);
      }
      if (!Double.isNaN(refresh.meanShift())) {
        entry.put("meanShift", refresh.meanShift());
      }
    }
  }

  static List<CausalSelection.Refresh> readRefreshes(JsonNode source) {
    List<CausalSelection.Refresh> refreshes = new ArrayList<>();
    for (JsonNode entry : source) {
      double[] quantiles = new double[entry.path("quantiles").size()];
      for (int q = 0; q < quantiles.length; q++) {
        quantiles[q] = entry.path("quantiles").get(q).asDouble();
      }
      refreshes.add(
          new CausalSelection.Refresh(
              entry.path("iteration").asInt(),
              entry.path("active").asInt(),
              quantiles,
              entry.path("meanShift").asDouble(Double.NaN)));
    }
    return refreshes;
  }

  static void writeIndexLists(ArrayNode target, int[][] lists) {
    for (int[] list : lists) {
      ArrayNode members = target.addArray();
      for (int index : list) {
        members.add(index);
      }
    }
  }

  static int[][] readIndexLists(JsonNode source) {
    int[][] lists = new int[source.size()][];
    for (int c = 0; c < lists.length; c++) {
      JsonNode members = source.get(c);
      lists[c] = new int[members.size()];
      for (int i = 0; i < lists[c].length; i++) {
        lists[c][i] = members.get(i).asInt();
      }
    }
    return lists;
  }
}
