package dev.goldpan.worker.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.goldpan.api.v1alpha1.Architecture;
import dev.goldpan.api.v1alpha1.CausalKeep;
import dev.goldpan.api.v1alpha1.ModelSpec;
import dev.goldpan.worker.data.ImageSet;
import dev.goldpan.worker.model.DsaAugmentation;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class CausalSelectionTest {

  private static final int SIDE = 16;
  private static final int PIXELS = SIDE * SIDE;
  private static final int CLASSES = 2;
  private static final int PER_CLASS = 40;
  private static final int OUTLIERS = 4;

  @Test
  void mostContributingKeepsTheLargestEffects() {
    int[] pool = IntStream.range(100, 110).toArray();
    float[] effects = {5, 1, 9, 3, 7, 2, 8, 4, 6, 0};

    int[] kept = CausalSelection.choose(pool, effects, 0.4, CausalKeep.MOST_CONTRIBUTING);

    // The effects 9, 8, 7, 6 sit at positions 2, 6, 4, 8.
    assertThat(kept).containsExactly(102, 104, 106, 108);
  }

  @Test
  void middleTrimsBothTails() {
    int[] pool = IntStream.range(100, 110).toArray();
    float[] effects = {5, 1, 9, 3, 7, 2, 8, 4, 6, 0};

    int[] kept = CausalSelection.choose(pool, effects, 0.4, CausalKeep.MIDDLE);

    // Descending: 9 8 7 | 6 5 4 3 | 2 1 0; the middle four are 6, 5, 4, 3 at 8, 0, 7, 3.
    assertThat(kept).containsExactly(100, 103, 107, 108);
  }

  @Test
  void keepsAtLeastOneSample() {
    assertThat(
            CausalSelection.choose(
                new int[] {7, 8, 9}, new float[] {1, 3, 2}, 0.01, CausalKeep.MOST_CONTRIBUTING))
        .containsExactly(8);
    assertThat(
            CausalSelection.choose(
                new int[] {7, 8, 9}, new float[] {1, 3, 2}, 0.01, CausalKeep.MIDDLE))
        .containsExactly(9);
  }

  @Test
  void relativeMeanShiftOfKnownDeviations() {
    // Rows (1, 0), (-1, 0), (0, 2), (0, -2): spread sqrt(10 / 4); rows 0 and 2 average (0.5, 1).
    float[] deviations = {1, 0, -1, 0, 0, 2, 0, -2};

    assertThat(CausalSelection.relativeMeanShift(deviations, 2, new int[] {0, 2}))
        .isCloseTo(Math.sqrt(1.25 / 2.5), within(1e-9));
    assertThat(CausalSelection.relativeMeanShift(deviations, 2, new int[] {0, 1, 2, 3}))
        .isCloseTo(0, within(1e-9));
  }

  @Test
  void middleDropsPlantedOutliersThatMostContributingKeeps() {
    ImageSet real = classesWithOutliers(new Random(21));
    int[][] middle = activePools(real, CausalKeep.MIDDLE);
    int[][] most = activePools(real, CausalKeep.MOST_CONTRIBUTING);

    for (int c = 0; c < CLASSES; c++) {
      int first = outlier(c, 0);
      int[] outliers = IntStream.range(first, first + OUTLIERS).toArray();
      assertThat(middle[c]).as("class %d, middle", c).doesNotContain(outliers);
      assertThat(most[c]).as("class %d, most-contributing", c).contains(outliers);
      assertThat(middle[c]).hasSameSizeAs(most[c]).hasSize(PER_CLASS / 2);
    }
  }

  @Test
  void refreshesRecordHowFarTheActivePoolsMeanMoved() {
    ImageSet real = classesWithOutliers(new Random(22));

    double all = meanShift(real, 1.0);
    double half = meanShift(real, 0.5);

    assertThat(all).isCloseTo(0, within(1e-6));
    assertThat(half).isGreaterThan(0.01).isLessThan(10);
  }

  /** The index of class c's i-th planted outlier: the last OUTLIERS samples of each class. */
  private static int outlier(int c, int i) {
    return c * PER_CLASS + PER_CLASS - OUTLIERS + i;
  }

  private static int[][] activePools(ImageSet real, CausalKeep keep) {
    try (NDManager manager = NDManager.newBaseManager();
        DistributionMatching dm = distiller(manager, real, selection(keep))) {
      dm.step();
      return Arrays.stream(dm.pools()).map(int[]::clone).toArray(int[][]::new);
    }
  }

  private static double meanShift(ImageSet real, double keepRatio) {
    CausalSelection selection =
        new CausalSelection(pools(), keepRatio, 1000, CausalKeep.MIDDLE, 1, 2);
    try (NDManager manager = NDManager.newBaseManager();
        DistributionMatching dm = distiller(manager, real, selection)) {
      dm.step();
      return selection.refreshes().get(0).meanShift();
    }
  }

  /** Re-selects half of each class at iteration 0, by effects averaged over 2 networks. */
  private static CausalSelection selection(CausalKeep keep) {
    return new CausalSelection(pools(), 0.5, 1000, keep, 1, 2);
  }

  /** DM with DSA, one synthetic image per class, re-selecting by {@code selection}. */
  private static DistributionMatching distiller(
      NDManager manager, ImageSet real, CausalSelection selection) {
    Engine.getInstance().setRandomSeed(5);
    ModelSpec model = new ModelSpec();
    model.setArchitecture(Architecture.CONVNET);
    model.setDepth(2);
    model.setWidth(16);
    ImageSet initial = real.subset(new int[] {0, PER_CLASS});
    DistributionMatching dm =
        new DistributionMatching(
            manager,
            model,
            TestPools.asIs(manager, real),
            initial,
            pools(),
            new DsaAugmentation(SIDE, SIDE),
            8,
            1f,
            9L,
            new int[] {0, 1});
    dm.setCausalSelection(selection);
    return dm;
  }

  private static int[][] pools() {
    return IntStream.range(0, CLASSES)
        .mapToObj(c -> IntStream.range(c * PER_CLASS, (c + 1) * PER_CLASS).toArray())
        .toArray(int[][]::new);
  }

  /**
   * Per class, PER_CLASS - OUTLIERS smooth images (a class-specific gradient plus faint noise) and,
   * last, OUTLIERS images of strong pixel noise: far from the class in any embedding.
   */
  private static ImageSet classesWithOutliers(Random random) {
    float[] pixels = new float[CLASSES * PER_CLASS * PIXELS];
    int[] labels = new int[CLASSES * PER_CLASS];
    for (int c = 0; c < CLASSES; c++) {
      for (int i = 0; i < PER_CLASS; i++) {
        int row = c * PER_CLASS + i;
        labels[row] = c;
        boolean outlier = i >= PER_CLASS - OUTLIERS;
        for (int y = 0; y < SIDE; y++) {
          for (int x = 0; x < SIDE; x++) {
            double template = c == 0 ? (x - SIDE / 2.0) / SIDE : (y - SIDE / 2.0) / SIDE;
            pixels[row * PIXELS + y * SIDE + x] =
                (float)
                    (outlier ? 2 * random.nextGaussian() : template + 0.1 * random.nextGaussian());
          }
        }
      }
    }
    return new ImageSet(pixels, labels, 1, SIDE, SIDE);
  }
}
