package dev.goldpan.operator.dependent;

import dev.goldpan.operator.Labels;
import dev.goldpan.operator.Stage;
import dev.goldpan.operator.TrimmedStores;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;

/**
 * The score stage's Job, {@code <job>-score}. Its informer, label-selected, is the one all three
 * stages share.
 */
@KubernetesDependent(
    useSSA = BooleanWithUndefined.FALSE,
    informer = @Informer(labelSelector = Labels.SELECTOR, itemStore = TrimmedStores.Jobs.class))
public class ScoreJobDependentResource extends StageJobDependentResource {

  public ScoreJobDependentResource() {
    super(Stage.SCORE);
  }
}
