package dev.goldpan.worker.stage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goldpan.api.v1alpha1.DropEnd;
import org.junit.jupiter.api.Test;

class StaticSelectionTest {

  // Class 0: samples 0 (0.5), 2 (0.1), 3 (0.5), 6 (0.8), 9 (0.3).
  // Class 1: samples 1 (0.9), 4 (0.2), 7 (0.2).
  // Class 2: samples 5 (0.3), 8 (0.7).
  private static final int[] LABELS = {0, 1, 0, 0, 1, 2, 0, 1, 2, 0};
  private static final float[] SCORES = {
    0.5f, 0.9f, 0.1f, 0.5f, 0.2f, 0.3f, 0.8f, 0.2f, 0.7f, 0.3f
  };

  @Test
  void dropLargestKeepsTheLowestScoresAndBreaksTiesByLowerIndex() {
    int[][] kept = StaticSelection.keep(LABELS, 3, SCORES, 0.5, DropEnd.LARGEST, 1);

    // ceil(0.5 * 5) = 3: 2 (0.1), 9 (0.3), then 0 before 3 (both 0.5).
    assertThat(kept[0]).containsExactly(0, 2, 9);
    // ceil(0.5 * 3) = 2: 4 and 7 (both 0.2).
    assertThat(kept[1]).containsExactly(4, 7);
    // ceil(0.5 * 2) = 1: 5 (0.3).
    assertThat(kept[2]).containsExactly(5);
  }

  @Test
  void dropSmallestKeepsTheHighestScoresAndBreaksTiesByLowerIndex() {
    int[][] kept = StaticSelection.keep(LABELS, 3, SCORES, 0.4, DropEnd.SMALLEST, 1);

    // ceil(0.4 * 5) = 2: 6 (0.8), then 0 before 3 (both 0.5).
    assertThat(kept[0]).containsExactly(0, 6);
    // ceil(0.4 * 3) = 2: 1 (0.9), then 4 before 7 (both 0.2).
    assertThat(kept[1]).containsExactly(1, 4);
    // ceil(0.4 * 2) = 1: 8 (0.7).
    assertThat(kept[2]).containsExactly(8);
  }

  @Test
  void neverKeepsFewerThanTheMinimum() {
    int[][] kept = StaticSelection.keep(LABELS, 3, SCORES, 0.1, DropEnd.LARGEST, 2);

    // ceil(0.1 * n) = 1 for every class, raised to 2.
    assertThat(kept[0]).containsExactly(2, 9);
    assertThat(kept[1]).containsExactly(4, 7);
    assertThat(kept[2]).containsExactly(5, 8);
  }

  @Test
  void neverKeepsMoreThanTheClassHas() {
    int[][] kept = StaticSelection.keep(LABELS, 3, SCORES, 0.1, DropEnd.LARGEST, 4);

    assertThat(kept[0]).containsExactly(0, 2, 3, 9);
    assertThat(kept[1]).containsExactly(1, 4, 7);
    assertThat(kept[2]).containsExactly(5, 8);
  }

  @Test
  void keepRatioOneKeepsEverything() {
    int[][] kept = StaticSelection.keep(LABELS, 3, SCORES, 1.0, DropEnd.SMALLEST, 1);

    assertThat(kept[0]).containsExactly(0, 2, 3, 6, 9);
    assertThat(kept[1]).containsExactly(1, 4, 7);
    assertThat(kept[2]).containsExactly(5, 8);
  }

  @Test
  void roundsUpWithoutFloatingPointOvershoot() {
    // 0.3 * 10 and 0.7 * 10 are a hair above 3 and 7 in binary floating point.
    int[] labels = new int[10];
    float[] scores = new float[10];
    for (int i = 0; i < 10; i++) {
      scores[i] = 9 - i;
    }

    assertThat(StaticSelection.keep(labels, 1, scores, 0.3, DropEnd.LARGEST, 1)[0])
        .containsExactly(7, 8, 9);
    assertThat(StaticSelection.keep(labels, 1, scores, 0.7, DropEnd.SMALLEST, 1)[0])
        .containsExactly(0, 1, 2, 3, 4, 5, 6);
    assertThat(StaticSelection.keep(labels, 1, scores, 0.25, DropEnd.LARGEST, 1)[0])
        .containsExactly(7, 8, 9);
  }

  @Test
  void aClassWithoutSamplesKeepsNothing() {
    int[][] kept =
        StaticSelection.keep(new int[] {0, 0}, 2, new float[] {1, 2}, 0.5, DropEnd.LARGEST, 1);

    assertThat(kept[0]).containsExactly(0);
    assertThat(kept[1]).isEmpty();
  }

  @Test
  void rejectsScoresOfAnotherLength() {
    assertThatThrownBy(() -> StaticSelection.keep(LABELS, 3, new float[9], 0.5, DropEnd.LARGEST, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("9 scores for 10 samples");
  }
}
