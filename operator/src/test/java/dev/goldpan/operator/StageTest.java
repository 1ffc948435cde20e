package dev.goldpan.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.api.v1alpha1.SelectionMode;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import org.junit.jupiter.api.Test;

class StageTest {

  @Test
  void scoringRunsForAScoredCriterion() {
    DistillationJobSpec spec = new DistillationJobSpec();

    assertThat(Stage.SCORE.skipped(spec)).isFalse();
  }

  @Test
  void precomputedScoresSkipScoring() {
    DistillationJobSpec spec = new DistillationJobSpec();
    spec.getSelection().getStaticSelection().setCriterion(StaticCriterion.PRECOMPUTED);

    assertThat(Stage.SCORE.skipped(spec)).isTrue();
    assertThat(Stage.DISTILL.skipped(spec)).isFalse();
  }

  @Test
  void noPruningSkipsScoring() {
    DistillationJobSpec spec = new DistillationJobSpec();
    spec.getSelection().setMode(SelectionMode.NONE);

    assertThat(Stage.SCORE.skipped(spec)).isTrue();
    assertThat(Stage.EVALUATE.skipped(spec)).isFalse();
  }

  @Test
  void autoScoresForItsPilots() {
    DistillationJobSpec spec = new DistillationJobSpec();
    spec.getSelection().setMode(SelectionMode.AUTO);

    assertThat(Stage.SCORE.skipped(spec)).isFalse();
  }
}
