package dev.goldpan.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.goldpan.api.v1alpha1.DistillationJob;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With goldpan.operator.kueue.enabled, stage Jobs of a job in a LocalQueue start suspended, Kueue
 * owns their spec.suspend, and the job's suspension goes through the Job's Workload. The mock API
 * server plays Kueue's part; KueueE2E runs the real Kueue.
 */
@QuarkusTest
@TestProfile(KueueIT.KueueOn.class)
@QuarkusTestResource(CrudApiServer.class)
class KueueIT {

  /** The operator's Kueue setting on. */
  public static class KueueOn implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("goldpan.operator.kueue.enabled", "true");
    }
  }

  private final KubernetesClient client = CrudApiServer.testClient();

  @Test
  void stageJobsAreCreatedSuspendedAndSuspensionGoesThroughTheWorkload() {
    MockCluster.installCrd(client);
    String namespace = MockCluster.namespace();
    DistillationJob dj = MockCluster.job(client, namespace, "queued");
    dj.getMetadata().setLabels(Map.of(Labels.KUEUE_QUEUE, "gpu-queue"));
    dj = client.resource(dj).create();
    JobController jobs = new JobController(client);

    Job score = jobs.awaitJob(dj, Stage.SCORE);
    assertThat(score.getSpec().getSuspend()).isTrue();
    assertThat(score.getMetadata().getLabels()).containsEntry(Labels.KUEUE_QUEUE, "gpu-queue");
    GenericKubernetesResource workload = workload(score);

    // Kueue admits the workload: it un-suspends the Job. The operator must leave it so.
    setSuspend(namespace, "queued-score", false);
    jobs.start(dj, Stage.SCORE);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> Boolean.FALSE.equals(job(namespace, "queued-score").getSpec().getSuspend()));

    // The user suspends the job: the operator deactivates the Workload and leaves the Job's
    // spec.suspend to Kueue, which would undo it.
    setJobSuspend(namespace, true);
    await().atMost(Duration.ofSeconds(20)).until(() -> !active(workload));
    assertThat(job(namespace, "queued-score").getSpec().getSuspend()).isFalse();

    // Kueue evicts the deactivated Workload and suspends the Job; the user resumes the job.
    setSuspend(namespace, "queued-score", true);
    setJobSuspend(namespace, false);
    await().atMost(Duration.ofSeconds(20)).until(() -> active(workload));
    assertThat(job(namespace, "queued-score").getSpec().getSuspend()).isTrue();
  }

  @Test
  void aJobWithoutAQueueRunsAtOnce() {
    MockCluster.installCrd(client);
    String namespace = MockCluster.namespace();
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "unqueued")).create();

    Job score = new JobController(client).awaitJob(dj, Stage.SCORE);

    assertThat(score.getSpec().getSuspend()).isFalse();
  }

  /** The Workload that Kueue makes for {@code job}, labelled with its UID. */
  private GenericKubernetesResource workload(Job job) {
    GenericKubernetesResource workload =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("kueue.x-k8s.io/v1beta2")
            .withKind("Workload")
            .withNewMetadata()
            .withName("job-" + job.getMetadata().getName() + "-1a2b3")
            .withNamespace(job.getMetadata().getNamespace())
            .addToLabels(KueueWorkloads.JOB_UID, job.getMetadata().getUid())
            .endMetadata()
            .addToAdditionalProperties("spec", Map.of("queueName", "gpu-queue", "active", true))
            .build();
    return client.genericKubernetesResources(KueueWorkloads.WORKLOADS).resource(workload).create();
  }

  private boolean active(GenericKubernetesResource workload) {
    GenericKubernetesResource current =
        client
            .genericKubernetesResources(KueueWorkloads.WORKLOADS)
            .inNamespace(workload.getMetadata().getNamespace())
            .withName(workload.getMetadata().getName())
            .get();
    return Boolean.TRUE.equals(current.get("spec", "active"));
  }

  /**
   * As {@code kubectl patch --type merge} does it: no resource version, so a status the operator
   * writes meanwhile does not make it conflict (a read-modify-write here did, now and then).
   */
  private void setJobSuspend(String namespace, boolean suspend) {
    client
        .resources(DistillationJob.class)
        .inNamespace(namespace)
        .withName("queued")
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":" + suspend + "}}");
  }

  private void setSuspend(String namespace, String name, boolean suspend) {
    Job current = job(namespace, name);
    client
        .resource(new JobBuilder(current).editSpec().withSuspend(suspend).endSpec().build())
        .update();
  }

  private Job job(String namespace, String name) {
    return client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
  }
}
