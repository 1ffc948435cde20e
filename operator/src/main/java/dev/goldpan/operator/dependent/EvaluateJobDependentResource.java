package dev.goldpan.operator.dependent;

import dev.goldpan.operator.Stage;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The evaluate stage's Job, {@code <job>-evaluate}. */
@KubernetesDependent(useSSA = BooleanWithUndefined.FALSE)
public class EvaluateJobDependentResource extends StageJobDependentResource {

  public EvaluateJobDependentResource() {
    super(Stage.EVALUATE);
  }
}
