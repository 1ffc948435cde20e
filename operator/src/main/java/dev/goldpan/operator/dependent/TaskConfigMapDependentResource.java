package dev.goldpan.operator.dependent;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.operator.Labels;
import dev.goldpan.operator.Ownership;
import dev.goldpan.operator.TrimmedStores;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.BooleanWithUndefined;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** {@code <job>-task}: the job's manifest, as the worker reads it from {@code --task}. */
@KubernetesDependent(
    useSSA = BooleanWithUndefined.FALSE,
    informer =
        @Informer(labelSelector = Labels.SELECTOR, itemStore = TrimmedStores.TaskConfigMaps.class))
public class TaskConfigMapDependentResource
    extends CRUDKubernetesDependentResource<ConfigMap, DistillationJob> {

  /** The key, and so the file name, of the task in the ConfigMap. */
  public static final String TASK_KEY = "task.yaml";

  public static String name(DistillationJob job) {
    return job.getMetadata().getName() + "-task";
  }

  /**
   * Only a ConfigMap that this incarnation of the job owns is ours to update; one of the same name
   * that is not (a predecessor's, or the user's) makes the create fail, visibly, instead.
   */
  @Override
  protected Optional<ConfigMap> selectTargetSecondaryResource(
      Set<ConfigMap> secondaryResources, DistillationJob job, Context<DistillationJob> context) {
    String name = name(job);
    return secondaryResources.stream()
        .filter(candidate -> name.equals(candidate.getMetadata().getName()))
        .filter(candidate -> Ownership.ownedBy(candidate, job))
        .findFirst();
  }

  /**
   * The informer keeps no ConfigMap data, only its digest ({@link TrimmedStores.TaskConfigMaps}),
   * so the task is matched by digest: a ConfigMap whose data differs from the job's task is
   * updated.
   */
  @Override
  public Matcher.Result<ConfigMap> match(
      ConfigMap actual, ConfigMap desired, DistillationJob job, Context<DistillationJob> context) {
    return Matcher.Result.computed(
        Objects.equals(TrimmedStores.digestOf(actual), TrimmedStores.digestOf(desired)), desired);
  }

  @Override
  protected ConfigMap desired(DistillationJob job, Context<DistillationJob> context) {
    DistillationJob task = new DistillationJob();
    task.setMetadata(
        new ObjectMetaBuilder()
            .withName(job.getMetadata().getName())
            .withNamespace(job.getMetadata().getNamespace())
            .build());
    task.setSpec(job.getSpec());
    String yaml = context.getClient().getKubernetesSerialization().asYaml(task);
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name(job))
        .withNamespace(job.getMetadata().getNamespace())
        .withLabels(Labels.owned(job))
        .endMetadata()
        .withData(Map.of(TASK_KEY, yaml))
        .build();
  }
}
