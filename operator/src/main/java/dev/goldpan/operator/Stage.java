package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.api.v1alpha1.SelectionMode;
import dev.goldpan.api.v1alpha1.StageStatus;
import dev.goldpan.api.v1alpha1.StagesStatus;
import dev.goldpan.api.v1alpha1.StaticCriterion;

/** The pipeline stages the operator runs as Jobs, in order. */
public enum Stage {
  SCORE("score"),
  DISTILL("distill"),
  EVALUATE("evaluate");

  private final String id;

  Stage(String id) {
    this.id = id;
  }

  /** The worker's name for the stage, as in {@code goldpan-worker stage <id>}. */
  public String id() {
    return id;
  }

  /** {@code <job>-<stage>}. */
  public String jobName(DistillationJob job) {
    return job.getMetadata().getName() + "-" + id;
  }

  /** Pods the stage runs at once, one per completion index. */
  public int parallelism(DistillationJobSpec spec) {
    return switch (this) {
      case SCORE -> spec.getSelection().getStaticSelection().getScoring().getEnsemble();
      case DISTILL -> spec.getDistillation().getParallelism();
      case EVALUATE -> spec.getEvaluation().getParallelism();
    };
  }

  /** Precomputed scores, or no pruning at all, need no score stage. */
  public boolean skipped(DistillationJobSpec spec) {
    return this == SCORE
        && (spec.getSelection().getMode() == SelectionMode.NONE
            || spec.getSelection().getStaticSelection().getCriterion()
                == StaticCriterion.PRECOMPUTED);
  }

  /** This stage's entry in {@code stages}; null when there is none. */
  public StageStatus in(StagesStatus stages) {
    if (stages == null) {
      return null;
    }
    return switch (this) {
      case SCORE -> stages.getScore();
      case DISTILL -> stages.getDistill();
      case EVALUATE -> stages.getEvaluate();
    };
  }

  /** The stage before this one, or null for the first. */
  public Stage previous() {
    return this == SCORE ? null : values()[ordinal() - 1];
  }
}
