package dev.goldpan.operator.dependent;

import dev.goldpan.operator.Stage;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The score stage's Job, {@code <job>-score}. */
@KubernetesDependent(useSSA = BooleanWithUndefined.FALSE)
public class ScoreJobDependentResource extends StageJobDependentResource {

  public ScoreJobDependentResource() {
    super(Stage.SCORE);
  }
}
