package dev.goldpan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.Phase;
import dev.goldpan.api.v1alpha1.StageState;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.ScalableResource;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Delete-and-recreate on a real API server: a DistillationJob created again under the same name
 * (how users and GitOps re-run an immutable spec) owns only what it made itself.
 */
@ExtendWith(E2eNamespace.class)
class OwnershipE2E {

  private static final String HOLD = "goldpan.dev/e2e-hold";

  private final KubernetesClient client = E2eCluster.client();

  @Test
  void aJobCreatedAgainUnderTheSameNameSeesNoneOfItsPredecessorsObjects(String namespace) {
    apply(
        Manifests.example(
            namespace,
            "again",
            "spec.dataset.source",
            "pvc://fashion-mnist/no/such/directory/",
            "spec.resources.cpu",
            "100m"));
    DistillationJob first =
        E2eCluster.awaitCondition(namespace, "again", "Failed", Duration.ofMinutes(5));
    // The predecessor's failed Job and its pod outlive it for a while, as they do until the
    // garbage collector gets to them; a finalizer makes "a while" last for the test.
    jobs(namespace)
        .withName("again-score")
        .edit(
            job -> {
              job.getMetadata().getFinalizers().add(HOLD);
              return job;
            });
    client.resource(first).delete();
    await().atMost(Duration.ofMinutes(1)).until(() -> E2eCluster.job(namespace, "again") == null);
    Job held = jobs(namespace).withName("again-score").get();
    assertThat(held.getMetadata().getDeletionTimestamp()).isNotNull();

    // The same name again, now with a dataset that exists, and a TTL that a finished status
    // would trigger at once.
    apply(
        Manifests.example(
            namespace, "again", "spec.resources.cpu", "100m", "spec.ttlSecondsAfterFinished", "1"));
    DistillationJob second =
        await()
            .atMost(Duration.ofMinutes(1))
            .pollInterval(Duration.ofSeconds(1))
            .until(
                () -> E2eCluster.job(namespace, "again"),
                j ->
                    FailuresE2E.condition(j, "Reconciled")
                        .filter(c -> "False".equals(c.getStatus()))
                        .filter(c -> c.getMessage().contains("Job again-score"))
                        .isPresent());
    assertThat(second.getMetadata().getUid()).isNotEqualTo(first.getMetadata().getUid());
    assertThat(FailuresE2E.condition(second, "Reconciled").orElseThrow().getReason())
        .isEqualTo("AlreadyExists");
    assertThat(FailuresE2E.condition(second, "Reconciled").orElseThrow().getMessage())
        .contains("Job again-score");
    await()
        .during(Duration.ofSeconds(5))
        .atMost(Duration.ofSeconds(8))
        .until(
            () -> E2eCluster.job(namespace, "again"),
            j ->
                j != null
                    && j.getMetadata().getUid().equals(second.getMetadata().getUid())
                    && j.getStatus().getPhase() != Phase.FAILED
                    && j.getStatus().getStages().getScore().getState() == StageState.PENDING
                    && j.getStatus().getResult().getArtifacts() == null);
    assertThat(
            FailuresE2E.condition(E2eCluster.job(namespace, "again"), "Failed")
                .orElseThrow()
                .getStatus())
        .isEqualTo("False");

    // Once the predecessor's Job is gone, the job makes its own.
    jobs(namespace)
        .withName("again-score")
        .edit(
            job -> {
              job.getMetadata().getFinalizers().remove(HOLD);
              return job;
            });
    Job own =
        await()
            .atMost(Duration.ofMinutes(2))
            .until(
                () -> jobs(namespace).withName("again-score").get(),
                job ->
                    job != null
                        && job.getMetadata().getOwnerReferences().stream()
                            .anyMatch(o -> o.getUid().equals(second.getMetadata().getUid())));
    assertThat(own.getMetadata().getUid()).isNotEqualTo(held.getMetadata().getUid());
    E2eCluster.awaitCondition(namespace, "again", "Reconciled", Duration.ofMinutes(2));
    List<Job> all = jobs(namespace).list().getItems();
    assertThat(all).extracting(j -> j.getMetadata().getName()).containsExactly("again-score");
  }

  private NonNamespaceOperation<Job, JobList, ScalableResource<Job>> jobs(String namespace) {
    return client.batch().v1().jobs().inNamespace(namespace);
  }

  private static void apply(String manifest) {
    var applied = E2eCluster.kubectl(manifest, "apply", "-f", "-");
    assertThat(applied.exitCode()).as(applied.output()).isZero();
  }
}
