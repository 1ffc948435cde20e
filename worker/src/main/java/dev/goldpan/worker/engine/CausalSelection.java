package dev.goldpan.worker.engine;

import ai.djl.ndarray.NDArray;
import dev.goldpan.api.v1alpha1.CausalKeep;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Level-2 (causal) selection: every {@code interval} iterations, per class, estimates each
 * statically kept sample's individual treatment effect on the distillation ({@link CausalEffects})
 * under several random networks, averages them, and keeps the {@code keepRatio} fraction in the
 * middle of the ranking (both tails trimmed, the paper's rule: large effects belong to outliers) or
 * with the largest effect (most-contributing). Real batches come from that active pool until the
 * next refresh.
 *
 * <p>Every refresh records how far the active pool's mean embedding lies from the whole pool's,
 * relative to the pool's spread: {@code meanShift = ||mean(phi_active) - mu|| / sqrt(mean_i ||phi_i
 * - mu||^2)}, averaged over classes and networks. DM matches the active pool's mean, so this is how
 * far selection moves the target away from the class's.
 */
public final class CausalSelection {

  /**
   * One re-selection: how many samples stayed active, the ITE quantiles (0, 25, 50, 75, 100%) and
   * the relative mean shift of the active pools (NaN when the effects come without embeddings).
   */
  public record Refresh(int iteration, int active, double[] quantiles, double meanShift) {}

  /**
   * One class's averaged effects and, when known, each network's pool embeddings minus their mean
   * ([n * dimensions] each, row-major).
   */
  public record ClassEffects(float[] effects, List<float[]> deviations, int dimensions) {

    public static ClassEffects withoutEmbeddings(float[] effects) {
      return new ClassEffects(effects, List.of(), 0);
    }
  }

  private final int[][] staticPools;
  private final double keepRatio;
  private final int interval;
  private final CausalKeep keep;
  private final int imagesPerClass;
  private final int networks;
  private final List<Refresh> refreshes = new ArrayList<>();

  public CausalSelection(
      int[][] staticPools,
      double keepRatio,
      int interval,
      CausalKeep keep,
      int imagesPerClass,
      int networks) {
    this.staticPools = staticPools;
    this.keepRatio = keepRatio;
    this.interval = interval;
    this.keep = keep;
    this.imagesPerClass = imagesPerClass;
    this.networks = networks;
  }

  /** Whether the pools are re-selected before iteration {@code iteration}. */
  public boolean due(int iteration) {
    return iteration % interval == 0;
  }

  /** Random networks each refresh averages the effects over. */
  public int networks() {
    return networks;
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
    ClassEffects of(int classIndex, int[] pool, NDArray classImages);
  }

  /** The active pools for the coming iterations, by {@code effects}. */
  int[][] select(NDArray synthetic, int iteration, Effects effects) {
    int[][] active = new int[staticPools.length][];
    List<Float> all = new ArrayList<>();
    int total = 0;
    double shiftSum = 0;
    int shifts = 0;
    for (int c = 0; c < staticPools.length; c++) {
      NDArray classImages =
          synthetic.get((long) c * imagesPerClass + ":" + (long) (c + 1) * imagesPerClass);
      ClassEffects classEffects = effects.of(c, staticPools[c], classImages);
      for (float effect : classEffects.effects()) {
        all.add(effect);
      }
      int[] chosen = chooseOrder(classEffects.effects(), keepRatio, keep);
      active[c] = new int[chosen.length];
      for (int i = 0; i < chosen.length; i++) {
        active[c][i] = staticPools[c][chosen[i]];
      }
      Arrays.sort(active[c]);
      for (float[] deviations : classEffects.deviations()) {
        shiftSum += relativeMeanShift(deviations, classEffects.dimensions(), chosen);
        shifts++;
      }
      total += active[c].length;
    }
    refreshes.add(
        new Refresh(
            iteration, total, quantiles(all), shifts == 0 ? Double.NaN : shiftSum / shifts));
    return active;
  }

  /**
   * ||mean of the {@code chosen} rows|| / sqrt(mean squared row norm), for rows that are deviations
   * from the mean of all rows.
   */
  static double relativeMeanShift(float[] deviations, int dimensions, int[] chosen) {
    int rows = deviations.length / dimensions;
    double spread = 0;
    for (float value : deviations) {
      spread += (double) value * value;
    }
    spread = Math.sqrt(spread / rows);
    double shift = 0;
    for (int d = 0; d < dimensions; d++) {
      double sum = 0;
      for (int row : chosen) {
        sum += deviations[row * dimensions + d];
      }
      double mean = sum / chosen.length;
      shift += mean * mean;
    }
    return spread == 0 ? 0 : Math.sqrt(shift) / spread;
  }

  /** The kept members of {@code pool} by their effects, ascending by index. */
  static int[] choose(int[] pool, float[] effects, double keepRatio, CausalKeep keep) {
    int[] chosen = chooseOrder(effects, keepRatio, keep);
    int[] members = new int[chosen.length];
    for (int i = 0; i < chosen.length; i++) {
      members[i] = pool[chosen[i]];
    }
    Arrays.sort(members);
    return members;
  }

  /**
   * Positions of the kept effects: the {@code keepRatio} fraction (at least one) with the largest
   * effects, or the same number from the middle of the descending order.
   */
  private static int[] chooseOrder(float[] effects, double keepRatio, CausalKeep keep) {
    int n = effects.length;
    int count = Math.max(1, Math.min(n, (int) Math.ceil(keepRatio * n - 1e-9)));
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> effects[i]).reversed());
    int from = keep == CausalKeep.MOST_CONTRIBUTING ? 0 : (n - count) / 2;
    int[] chosen = new int[count];
    for (int i = 0; i < count; i++) {
      chosen[i] = order[from + i];
    }
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
