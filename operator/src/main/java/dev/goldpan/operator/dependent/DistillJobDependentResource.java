package dev.goldpan.operator.dependent;

import dev.goldpan.operator.Stage;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/** The distill stage's Job, {@code <job>-distill}. */
@KubernetesDependent(useSSA = BooleanWithUndefined.FALSE)
public class DistillJobDependentResource extends StageJobDependentResource {

  public DistillJobDependentResource() {
    super(Stage.DISTILL);
  }
}
