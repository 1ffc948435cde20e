package dev.goldpan.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.goldpan.api.v1alpha1.DistillationJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With goldpan.operator.kueue.enabled, stage Jobs start suspended and Kueue owns suspend. */
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
  void stageJobsAreCreatedSuspendedAndKueuesAdmissionIsNotUndone() {
    MockCluster.installCrd(client);
    String namespace = MockCluster.namespace();
    DistillationJob dj = MockCluster.job(client, namespace, "queued");
    dj.getMetadata().setLabels(Map.of(Labels.KUEUE_QUEUE, "gpu-queue"));
    dj = client.resource(dj).create();
    JobController jobs = new JobController(client);

    Job score = jobs.awaitJob(dj, Stage.SCORE);
    assertThat(score.getSpec().getSuspend()).isTrue();
    assertThat(score.getMetadata().getLabels()).containsEntry(Labels.KUEUE_QUEUE, "gpu-queue");

    // Kueue admits the workload: it un-suspends the Job. The operator must leave it so.
    client.resource(new JobBuilder(score).editSpec().withSuspend(false).endSpec().build()).update();
    jobs.start(dj, Stage.SCORE);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> Boolean.FALSE.equals(job(namespace, "queued-score").getSpec().getSuspend()));

    // A user's suspend still reaches the running Job.
    client
        .resources(DistillationJob.class)
        .inNamespace(namespace)
        .withName("queued")
        .edit(
            current -> {
              current.getSpec().setSuspend(true);
              return current;
            });
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> Boolean.TRUE.equals(job(namespace, "queued-score").getSpec().getSuspend()));
  }

  private Job job(String namespace, String name) {
    return client.batch().v1().jobs().inNamespace(namespace).withName(name).get();
  }
}
