package dev.goldpan.worker.stage;

import dev.goldpan.api.v1alpha1.DropEnd;
import dev.goldpan.worker.data.ImageSet;
import java.util.Arrays;
import java.util.Comparator;

/** Level-1 selection: per class, order by score and remove the {@code drop} end. */
public final class StaticSelection {

  private StaticSelection() {}

  /**
   * Per class, the kept sample indices (ascending). Class c keeps {@code ceil(keepRatio * n_c)}
   * samples, but never fewer than {@code minimum} (or all it has); ties in score keep the lower
   * index first.
   */
  public static int[][] keep(
      int[] labels, int classes, float[] scores, double keepRatio, DropEnd drop, int minimum) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(
          scores.length + " scores for " + labels.length + " samples");
    }
    int[][] kept = new int[classes][];
    for (int c = 0; c < classes; c++) {
      Integer[] members =
          Arrays.stream(ImageSet.indicesOf(labels, c)).boxed().toArray(Integer[]::new);
      Comparator<Integer> byScore = Comparator.comparingDouble(i -> scores[i]);
      // Sort so that the samples to keep come first.
      Arrays.sort(
          members, drop == DropEnd.LARGEST ? byScore : byScore.reversed().thenComparing(i -> i));
      int count = (int) Math.ceil(keepRatio * members.length - 1e-9);
      count = Math.min(members.length, Math.max(count, minimum));
      int[] chosen = new int[count];
      for (int i = 0; i < count; i++) {
        chosen[i] = members[i];
      }
      Arrays.sort(chosen);
      kept[c] = chosen;
    }
    return kept;
  }
}
