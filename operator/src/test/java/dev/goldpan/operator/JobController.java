package dev.goldpan.operator;

import static org.awaitility.Awaitility.await;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.operator.dependent.WorkerPods;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Plays the parts the mock API server lacks: the Job controller (pods, Job status) and the kubelet
 * (container ends with termination messages).
 */
final class JobController {

  private final KubernetesClient client;

  JobController(KubernetesClient client) {
    this.client = client;
  }

  /** Waits until the operator has created {@code stage}'s Job for {@code dj}. */
  Job awaitJob(DistillationJob dj, Stage stage) {
    String name = stage.jobName(dj);
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                client
                    .batch()
                    .v1()
                    .jobs()
                    .inNamespace(dj.getMetadata().getNamespace())
                    .withName(name)
                    .get(),
            job -> job != null);
  }

  /** Marks the Job started, with one running pod per index. */
  Job start(DistillationJob dj, Stage stage) {
    Job job = awaitJob(dj, stage);
    return client
        .resource(
            new JobBuilder(job)
                .withNewStatus()
                .withStartTime(now())
                .withActive(job.getSpec().getCompletions())
                .endStatus()
                .build())
        .update();
  }

  /**
   * A pod of {@code stage} whose worker container ended with {@code exitCode} and {@code message}.
   */
  Pod endPod(
      DistillationJob dj, Stage stage, int index, int attempt, int exitCode, String message) {
    Map<String, String> labels = new LinkedHashMap<>(Labels.stage(dj, stage));
    labels.put("batch.kubernetes.io/job-completion-index", Integer.toString(index));
    Job job = awaitJob(dj, stage);
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(stage.jobName(dj) + "-" + index + "-" + attempt)
            .withNamespace(dj.getMetadata().getNamespace())
            .withLabels(labels)
            .addToAnnotations("batch.kubernetes.io/job-completion-index", Integer.toString(index))
            .addNewOwnerReference()
            .withApiVersion("batch/v1")
            .withKind("Job")
            .withName(job.getMetadata().getName())
            .withUid(job.getMetadata().getUid())
            .withController(true)
            .endOwnerReference()
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName(WorkerPods.CONTAINER)
            .withImage("goldpan/worker:test")
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase(exitCode == 0 ? "Succeeded" : "Failed")
            .withContainerStatuses(
                new ContainerStatusBuilder()
                    .withName(WorkerPods.CONTAINER)
                    .withNewState()
                    .withNewTerminated()
                    .withExitCode(exitCode)
                    .withFinishedAt(Instant.now().plusMillis(attempt).toString())
                    .withMessage(message)
                    .endTerminated()
                    .endState()
                    .build())
            .endStatus()
            .build();
    return client.resource(pod).create();
  }

  /** Ends the stage's Job: Complete when {@code succeeded}, else Failed with {@code reason}. */
  Job finish(DistillationJob dj, Stage stage, boolean succeeded, String reason, int failedPods) {
    Job job = awaitJob(dj, stage);
    String now = now();
    int completions = job.getSpec().getCompletions();
    return client
        .resource(
            new JobBuilder(job)
                .withNewStatus()
                .withStartTime(
                    job.getStatus() != null && job.getStatus().getStartTime() != null
                        ? job.getStatus().getStartTime()
                        : Instant.now().minusSeconds(30).truncatedTo(ChronoUnit.SECONDS).toString())
                .withCompletionTime(succeeded ? now : null)
                .withSucceeded(succeeded ? completions : 0)
                .withFailed(failedPods)
                .withActive(0)
                .withConditions(
                    new JobConditionBuilder()
                        .withType(succeeded ? "Complete" : "Failed")
                        .withStatus("True")
                        .withReason(reason)
                        .withLastTransitionTime(now)
                        .build())
                .endStatus()
                .build())
        .update();
  }

  /** Every pod of the stage succeeds with {@code message}, then the Job completes. */
  Job succeed(DistillationJob dj, Stage stage, String... messages) {
    for (int index = 0; index < messages.length; index++) {
      endPod(dj, stage, index, 0, 0, messages[index]);
    }
    return finish(dj, stage, true, "CompletionsReached", 0);
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
