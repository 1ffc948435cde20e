package dev.goldpan.operator.dependent;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.operator.Labels;
import dev.goldpan.operator.progress.ProgressTokens;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

/**
 * {@code <job>-progress}: the bearer token the job's workers send with their progress reports. It
 * is derived from the job's UID, so the same job always gets the same token.
 */
@KubernetesDependent(
    useSSA = BooleanWithUndefined.FALSE,
    informer = @Informer(labelSelector = Labels.MANAGED_BY + "=" + Labels.OPERATOR))
public class ProgressTokenSecretDependentResource
    extends CRUDKubernetesDependentResource<Secret, DistillationJob> {

  /** The key, and so the file name, of the token in the Secret. */
  public static final String TOKEN_KEY = "token";

  @Inject ProgressTokens tokens;

  public static String name(DistillationJob job) {
    return job.getMetadata().getName() + "-progress";
  }

  @Override
  protected Secret desired(DistillationJob job, Context<DistillationJob> context) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name(job))
        .withNamespace(job.getMetadata().getNamespace())
        .withLabels(Labels.owned(job))
        .endMetadata()
        .withType("Opaque")
        .withData(
            Map.of(
                TOKEN_KEY,
                Base64.getEncoder()
                    .encodeToString(tokens.tokenFor(job).getBytes(StandardCharsets.US_ASCII))))
        .build();
  }
}
