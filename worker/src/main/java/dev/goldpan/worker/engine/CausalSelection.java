package dev.goldpan.worker.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.goldpan.api.v1alpha1.CausalKeep;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.model.Network;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Level-2 (causal) selection: every {@code interval} iterations, per class, estimates each
 * statically kept sample's individual treatment effect on the distillation ({@link CausalEffects})
 * and keeps the {@code keepRatio} fraction with the largest effect (most-contributing) or the
 * middle of the ranking (both tails trimmed). Real batches come from that active pool until the
 * next refresh.
 */
public final class CausalSelection {

  /**
   * One re-selection: how many samples stayed active and the ITE quantiles (0, 25, 50, 75, 100%).
   */
  public record Refresh(int iteration, int active, double[] quantiles) {}

  private final int[][] staticPools;
  private final double keepRatio;
  private final int interval;
  private final CausalKeep keep;
  private final int imagesPerClass;
  private final List<Refresh> refreshes = new ArrayList<>();

  public CausalSelection(
      int[][] staticPools, double keepRatio, int interval, CausalKeep keep, int imagesPerClass) {
    this.staticPools = staticPools;
    this.keepRatio = keepRatio;
    this.interval = interval;
    this.keep = keep;
    this.imagesPerClass = imagesPerClass;
  }

  /** Whether the pools are re-selected before iteration {@code iteration}. */
  public boolean due(int iteration) {
    return iteration % interval == 0;
  }

  /** Refreshes so far, oldest first. */
  public List<Refresh> refreshes() {
    return List.copyOf(refreshes);
  }

  /** Restores the history of a resumed run. */
  public void restore(List<Refresh> history) {
    refreshes.clear();
    refreshes.addAll(history);
  }

  /** The causal effects of a class's pool on that class's synthetic images. */
  @FunctionalInterface
  interface Effects {
    float[] of(int classIndex, int[] pool, NDArray classImages);
  }

  /**
   * The active pools for the coming iterations, from the DM effects under {@code network} of each
   * class's statically kept samples on its synthetic images (rows {@code c * ipc ..} of {@code
   * synthetic}).
   */
  int[][] select(
      NDManager manager, Network network, ImageSet real, NDArray synthetic, int iteration) {
    return select(
        synthetic,
        iteration,
        (c, pool, classImages) ->
            CausalEffects.distributionMatching(manager, network, real, pool, classImages));
  }

  /** The active pools for the coming iterations, by {@code effects}. */
  int[][] select(NDArray synthetic, int iteration, Effects effects) {
    int[][] active = new int[staticPools.length][];
    List<Float> all = new ArrayList<>();
    int total = 0;
    for (int c = 0; c < staticPools.length; c++) {
      NDArray classImages =
          synthetic.get((long) c * imagesPerClass + ":" + (long) (c + 1) * imagesPerClass);
      float[] classEffects = effects.of(c, staticPools[c], classImages);
      for (float effect : classEffects) {
        all.add(effect);
      }
      active[c] = choose(staticPools[c], classEffects, keepRatio, keep);
      total += active[c].length;
    }
    refreshes.add(new Refresh(iteration, total, quantiles(all)));
    return active;
  }

  /** The kept members of {@code pool} by their effects, ascending by index. */
  static int[] choose(int[] pool, float[] effects, double keepRatio, CausalKeep keep) {
    int n = pool.length;
    int count = Math.max(1, Math.min(n, (int) Math.ceil(keepRatio * n - 1e-9)));
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> effects[i]).reversed());
    int from = keep == CausalKeep.MOST_CONTRIBUTING ? 0 : (n - count) / 2;
    int[] chosen = new int[count];
    for (int i = 0; i < count; i++) {
      chosen[i] = pool[order[from + i]];
    }
    Arrays.sort(chosen);
    return chosen;
  }

  private static double[] quantiles(List<Float> values) {
    if (values.isEmpty()) {
      return new double[5];
    }
    float[] sorted = new float[values.size()];
    for (int i = 0; i < sorted.length; i++) {
      sorted[i] = values.get(i);
    }
    Arrays.sort(sorted);
    double[] quantiles = new double[5];
    for (int q = 0; q < 5; q++) {
      quantiles[q] = sorted[(int) Math.round(q / 4.0 * (sorted.length - 1))];
    }
    return quantiles;
  }
}
