package dev.goldpan.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrimmedStoresTest {

  private static ObjectMeta metadata(String name) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace("team")
        .withUid("uid-" + name)
        .withResourceVersion("7")
        .withLabels(Map.of(Labels.JOB, "a", Labels.STAGE, "score"))
        .withAnnotations(Map.of("batch.kubernetes.io/job-completion-index", "1"))
        .addNewOwnerReference()
        .withKind("DistillationJob")
        .withName("a")
        .withUid("uid-a")
        .endOwnerReference()
        .withManagedFields(
            new ManagedFieldsEntryBuilder().withManager("kube-controller-manager").build())
        .build();
  }

  @Test
  void aStageJobKeepsMetadataSuspendAndStatusButNotItsTemplate() {
    Job job =
        new JobBuilder()
            .withMetadata(metadata("a-score"))
            .withNewSpec()
            .withSuspend(true)
            .withCompletions(3)
            .withActiveDeadlineSeconds(60L)
            .withNewTemplate()
            .withNewSpec()
            .addNewContainer()
            .withName("worker")
            .withImage("goldpan/worker:1")
            .endContainer()
            .endSpec()
            .endTemplate()
            .endSpec()
            .withNewStatus()
            .withFailed(1)
            .endStatus()
            .build();
    TrimmedStores.Jobs store = new TrimmedStores.Jobs();
    store.put(store.getKey(job), job);

    Job kept = store.get("team/a-score");
    assertThat(kept.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(kept.getSpec().getTemplate()).isNull();
    assertThat(kept.getSpec().getSuspend()).isTrue();
    assertThat(kept.getSpec().getCompletions()).isEqualTo(3);
    assertThat(kept.getSpec().getActiveDeadlineSeconds()).isEqualTo(60L);
    assertThat(kept.getStatus().getFailed()).isEqualTo(1);
    assertThat(kept.getMetadata().getLabels()).containsEntry(Labels.STAGE, "score");
    assertThat(kept.getMetadata().getOwnerReferences()).singleElement();
    assertThat(kept.getMetadata().getUid()).isEqualTo("uid-a-score");
  }

  @Test
  void aWorkerPodKeepsItsNodeStatusAndIndexButNotItsContainers() {
    Pod pod =
        new PodBuilder()
            .withMetadata(metadata("a-score-1-xyz"))
            .withNewSpec()
            .withNodeName("node-1")
            .addNewContainer()
            .withName("worker")
            .withImage("goldpan/worker:1")
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Pending")
            .addNewContainerStatus()
            .withName("worker")
            .withNewState()
            .withNewWaiting()
            .withReason("ImagePullBackOff")
            .endWaiting()
            .endState()
            .endContainerStatus()
            .endStatus()
            .build();
    TrimmedStores.Pods store = new TrimmedStores.Pods();
    store.put(store.getKey(pod), pod);

    Pod kept = store.get("team/a-score-1-xyz");
    assertThat(kept.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(kept.getSpec().getNodeName()).isEqualTo("node-1");
    assertThat(kept.getSpec().getContainers()).isNullOrEmpty();
    assertThat(kept.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason())
        .isEqualTo("ImagePullBackOff");
    assertThat(kept.getMetadata().getAnnotations())
        .containsEntry("batch.kubernetes.io/job-completion-index", "1");
  }

  @Test
  void aTaskConfigMapKeepsTheDigestOfItsDataInsteadOfTheData() {
    ConfigMap original = task("spec: {seed: 1}");
    ConfigMap tampered = task("spec: {seed: 2}");
    String originalDigest = TrimmedStores.digestOf(original);
    String tamperedDigest = TrimmedStores.digestOf(tampered);
    assertThat(originalDigest).isNotEqualTo(tamperedDigest);

    TrimmedStores.TaskConfigMaps store = new TrimmedStores.TaskConfigMaps();
    store.put(store.getKey(tampered), tampered);
    ConfigMap kept = store.get("team/a-task");
    assertThat(kept.getData()).isNull();
    assertThat(kept.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(TrimmedStores.digestOf(kept)).isEqualTo(tamperedDigest);
    assertThat(kept.getMetadata().getAnnotations())
        .containsEntry("batch.kubernetes.io/job-completion-index", "1");
  }

  @Test
  void aDigestAnnotationWrittenOnTheServerIsReplacedByTheDigestOfTheData() {
    ConfigMap forged = task("spec: {seed: 2}");
    forged
        .getMetadata()
        .setAnnotations(
            Map.of(TrimmedStores.TASK_DIGEST, TrimmedStores.digestOf(task("spec: {seed: 1}"))));
    TrimmedStores.TaskConfigMaps store = new TrimmedStores.TaskConfigMaps();
    store.put(store.getKey(forged), forged);

    assertThat(TrimmedStores.digestOf(store.get("team/a-task")))
        .isEqualTo(TrimmedStores.digestOf(task("spec: {seed: 2}")));
  }

  private static ConfigMap task(String yaml) {
    return new ConfigMapBuilder()
        .withMetadata(metadata("a-task"))
        .withData(Map.of("task.yaml", yaml))
        .build();
  }
}
