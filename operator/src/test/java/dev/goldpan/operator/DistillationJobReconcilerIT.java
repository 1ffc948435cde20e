package dev.goldpan.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import dev.goldpan.api.v1alpha1.Phase;
import dev.goldpan.api.v1alpha1.StageState;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import dev.goldpan.operator.dependent.WorkerPods;
import dev.goldpan.operator.status.StatusAggregator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator against the Fabric8 mock API server in CRUD mode. */
@QuarkusTest
@QuarkusTestResource(CrudApiServer.class)
class DistillationJobReconcilerIT {

  private static final String SCORED =
      "{\"stage\":\"score\",\"index\":0,\"status\":\"Succeeded\",\"criterion\":\"loss-converge\","
          + "\"samples\":60000,\"message\":\"scored 60000 samples\"}";
  private static final String DISTILLED =
      "{\"stage\":\"distill\",\"index\":%d,\"status\":\"Succeeded\",\"syntheticImages\":%d,"
          + "\"realSamplesKept\":30000,\"iterations\":200,\"message\":\"distilled %d images\"}";
  private static final String EVALUATED =
      "{\"stage\":\"evaluate\",\"index\":0,\"status\":\"Succeeded\",\"accuracyMean\":0.725,"
          + "\"accuracyStd\":0.008,\"models\":2,\"baselines\":{\"random-real\":{\"mean\":0.679,"
          + "\"std\":0.011}},\"report\":\"report.html\",\"message\":\"test accuracy 0.7250 +- 0.0080 over 2 models\"}";

  /** An evaluation shard that finished before the other: its own network only, no merge. */
  private static final String EVALUATED_PART =
      "{\"stage\":\"evaluate\",\"index\":0,\"status\":\"Succeeded\",\"shardAccuracies\":[0.717],"
          + "\"message\":\"test accuracy 0.7170 over this shard's 1 models; evaluation.json waits"
          + " for 1 more shard(s)\"}";

  private final KubernetesClient client = CrudApiServer.testClient();
  @Inject MeterRegistry registry;

  private JobController jobs;
  private String namespace;

  @BeforeEach
  void setUp() {
    MockCluster.installCrd(client);
    jobs = new JobController(client);
    namespace = MockCluster.namespace();
  }

  @Test
  void runsScoreDistillEvaluateAndReportsTheResult() {
    DistillationJob dj = MockCluster.job(client, namespace, "pipeline");
    dj.getSpec().getDistillation().setParallelism(2);
    dj.getSpec().getEvaluation().setModels(2);
    dj.getSpec().getEvaluation().setParallelism(2);
    dj = client.resource(dj).create();

    Job score = jobs.awaitJob(dj, Stage.SCORE);
    assertThat(client.batch().v1().jobs().inNamespace(namespace).list().getItems())
        .extracting(j -> j.getMetadata().getName())
        .containsExactly("pipeline-score");
    ConfigMap task = client.configMaps().inNamespace(namespace).withName("pipeline-task").get();
    assertThat(task.getData().get("task.yaml"))
        .contains("kind: \"DistillationJob\"")
        .contains("pvc://fashion-mnist/");
    assertThat(client.secrets().inNamespace(namespace).list().getItems())
        .as("no Secret: workers authenticate with projected service-account tokens")
        .isEmpty();
    for (var owned : List.of(score, task)) {
      assertThat(owned.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(
              ref -> {
                assertThat(ref.getKind()).isEqualTo("DistillationJob");
                assertThat(ref.getUid())
                    .isEqualTo(
                        client
                            .resource(MockCluster.job(client, namespace, "pipeline"))
                            .get()
                            .getMetadata()
                            .getUid());
              });
    }
    assertWorkerPod(score);
    awaitStatus(dj, s -> s.getPhase() == Phase.SCORING);

    jobs.start(dj, Stage.SCORE);
    awaitStatus(dj, s -> s.getStages().getScore().getState() == StageState.RUNNING);
    jobs.succeed(dj, Stage.SCORE, SCORED);

    Job distill = jobs.awaitJob(dj, Stage.DISTILL);
    assertThat(distill.getSpec().getCompletions()).isEqualTo(2);
    assertThat(distill.getSpec().getCompletionMode()).isEqualTo("Indexed");
    DistillationJobStatus distilling = awaitStatus(dj, s -> s.getPhase() == Phase.DISTILLING);
    assertThat(condition(distilling, "ScoresReady").getStatus()).isEqualTo("True");
    assertThat(distilling.getStages().getScore().getMessage()).isEqualTo("scored 60000 samples");
    assertThat(
            client.batch().v1().jobs().inNamespace(namespace).withName("pipeline-evaluate").get())
        .as("evaluate waits for distill")
        .isNull();

    jobs.succeed(dj, Stage.DISTILL, DISTILLED.formatted(0, 50, 50), DISTILLED.formatted(1, 50, 50));
    Job evaluate = jobs.awaitJob(dj, Stage.EVALUATE);
    assertThat(evaluate.getSpec().getCompletions()).isEqualTo(2);
    assertThat(evaluate.getSpec().getCompletionMode()).isEqualTo("Indexed");
    awaitStatus(dj, s -> s.getPhase() == Phase.EVALUATING);
    // Shard 1 finished last and merged both parts; shard 0 reports its own network only.
    jobs.succeed(dj, Stage.EVALUATE, EVALUATED_PART, EVALUATED);

    DistillationJobStatus done = awaitStatus(dj, s -> s.getPhase() == Phase.SUCCEEDED);
    assertThat(done.getResult().getOutputLocation()).isEqualTo("s3://goldpan/pipeline");
    assertThat(done.getResult().getAccuracy().getMean()).isEqualTo(0.725);
    assertThat(done.getResult().getAccuracy().getStd()).isEqualTo(0.008);
    assertThat(done.getResult().getAccuracy().getModels()).isEqualTo(2);
    assertThat(done.getResult().getBaselines().get("random-real").getMean()).isEqualTo(0.679);
    assertThat(done.getResult().getSyntheticImages()).isEqualTo(100);
    assertThat(done.getResult().getRealSamplesKept()).isEqualTo(30000);
    assertThat(done.getResult().getArtifacts().getReport())
        .isEqualTo("s3://goldpan/pipeline/report.html");
    assertThat(done.getResult().getArtifacts().getSynthetic())
        .isEqualTo("s3://goldpan/pipeline/synthetic.npz");
    assertThat(done.getCompletionTime()).isNotNull();
    assertThat(done.getObservedGeneration()).isEqualTo(1L);
    for (String type : List.of("Accepted", "ScoresReady", "Distilled", "Evaluated", "Succeeded")) {
      assertThat(condition(done, type).getStatus()).as(type).isEqualTo("True");
    }
    assertThat(condition(done, "Failed").getStatus()).isEqualTo("False");
    assertThat(client.batch().v1().jobs().inNamespace(namespace).list().getItems()).hasSize(3);

    // Events are written off the reconcile's path, two at a time: wait for all of them.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(eventReasons("pipeline"))
                    .contains(
                        "ScoreRunning",
                        "ScoreSucceeded",
                        "DistillRunning",
                        "DistillSucceeded",
                        "EvaluateSucceeded",
                        "Succeeded"));
    assertThat(registry.find("goldpan.jobs.finished").tag("result", "Succeeded").counter())
        .isNotNull()
        .satisfies(c -> assertThat(c.count()).isGreaterThanOrEqualTo(1.0));
    assertThat(registry.find("goldpan.stage.duration").tag("stage", "distill").timer()).isNotNull();
  }

  @Test
  void aStageThatFailsAfterItsRetriesFailsTheJobWithTheWorkersMessage() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "flaky")).create();
    jobs.start(dj, Stage.SCORE);
    String failure =
        "{\"stage\":\"score\",\"index\":0,\"status\":\"Failed\",\"exitCode\":1,"
            + "\"message\":\"CUDA error: an illegal memory access was encountered\"}";
    for (int attempt = 0; attempt < 4; attempt++) {
      jobs.endPod(dj, Stage.SCORE, 0, attempt, 1, failure);
    }
    jobs.finish(dj, Stage.SCORE, false, "BackoffLimitExceeded", 4);

    DistillationJobStatus failed = awaitStatus(dj, s -> s.getPhase() == Phase.FAILED);
    Condition condition = condition(failed, "Failed");
    assertThat(condition.getStatus()).isEqualTo("True");
    assertThat(condition.getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(condition.getMessage())
        .contains("score stage failed")
        .contains("CUDA error: an illegal memory access was encountered");
    assertThat(failed.getStages().getScore().getState()).isEqualTo(StageState.FAILED);
    assertThat(failed.getStages().getScore().getAttempts()).isEqualTo(4);
    assertThat(condition(failed, "Succeeded").getStatus()).isEqualTo("False");
    assertNoJobAppears(dj, Stage.DISTILL);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(eventReasons("flaky")).contains("ScoreFailed", "Failed"));
  }

  @Test
  void invalidInputFailsAtOnceWithoutRetries() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "bad-path")).create();
    Job score = jobs.awaitJob(dj, Stage.SCORE);
    var rule = score.getSpec().getPodFailurePolicy().getRules().get(0);
    assertThat(rule.getAction()).isEqualTo("FailJob");
    assertThat(rule.getOnExitCodes().getContainerName()).isEqualTo(WorkerPods.CONTAINER);
    assertThat(rule.getOnExitCodes().getOperator()).isEqualTo("In");
    assertThat(rule.getOnExitCodes().getValues()).containsExactly(2);
    assertThat(score.getSpec().getBackoffLimit()).isEqualTo(3);

    jobs.endPod(
        dj,
        Stage.SCORE,
        0,
        0,
        2,
        "{\"stage\":\"score\",\"status\":\"Failed\",\"exitCode\":2,\"message\":"
            + "\"spec.dataset.source: /mnt/goldpan/fashion-mnist/train-images-idx3-ubyte does not"
            + " exist\"}");
    jobs.finish(dj, Stage.SCORE, false, "PodFailurePolicy", 1);

    DistillationJobStatus failed = awaitStatus(dj, s -> s.getPhase() == Phase.FAILED);
    assertThat(condition(failed, "Failed").getReason()).isEqualTo("InvalidInput");
    assertThat(condition(failed, "Failed").getMessage())
        .contains("/mnt/goldpan/fashion-mnist/train-images-idx3-ubyte does not exist");
    assertThat(failed.getStages().getScore().getAttempts()).isEqualTo(1);
  }

  @Test
  void suspendStopsTheRunningStageAndResumeContinuesIt() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "pausable")).create();
    jobs.start(dj, Stage.SCORE);
    awaitStatus(dj, s -> s.getStages().getScore().getState() == StageState.RUNNING);

    setSuspend(dj, true);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> Boolean.TRUE.equals(currentJob(dj, Stage.SCORE).getSpec().getSuspend()));
    DistillationJobStatus suspended = awaitStatus(dj, s -> s.getPhase() == Phase.SUSPENDED);
    assertThat(condition(suspended, "Suspended").getStatus()).isEqualTo("True");
    assertThat(suspended.getStages().getScore().getState()).isEqualTo(StageState.SUSPENDED);

    setSuspend(dj, false);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> Boolean.FALSE.equals(currentJob(dj, Stage.SCORE).getSpec().getSuspend()));
    DistillationJobStatus resumed = awaitStatus(dj, s -> s.getPhase() == Phase.SCORING);
    assertThat(condition(resumed, "Suspended").getStatus()).isEqualTo("False");
    jobs.succeed(dj, Stage.SCORE, SCORED);
    jobs.awaitJob(dj, Stage.DISTILL);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(eventReasons("pausable")).contains("Suspended", "Resumed"));
  }

  @Test
  void anOperatorThatFindsAJobMidwayCreatesNoDuplicates() {
    // What a restarted operator sees: the score Job finished and the distill Job running, both
    // made by its previous incarnation, and a status it wrote. It must adopt them, not recreate.
    DistillationJob dj = MockCluster.job(client, namespace, "adopted");
    dj = client.resource(dj).create();
    jobs.succeed(dj, Stage.SCORE, SCORED);
    jobs.start(dj, Stage.DISTILL);
    DistillationJobStatus distilling = awaitStatus(dj, s -> s.getPhase() == Phase.DISTILLING);
    String scoreUid = currentJob(dj, Stage.SCORE).getMetadata().getUid();
    String distillUid = currentJob(dj, Stage.DISTILL).getMetadata().getUid();

    // Trigger fresh reconciles, as the informers' initial list after a restart does.
    for (int i = 0; i < 3; i++) {
      String touch = Integer.toString(i);
      client
          .resources(DistillationJob.class)
          .inNamespace(namespace)
          .withName("adopted")
          .edit(
              current -> {
                current.getMetadata().setAnnotations(Map.of("touch", touch));
                return current;
              });
    }
    jobs.succeed(dj, Stage.DISTILL, DISTILLED.formatted(0, 100, 100));
    jobs.succeed(dj, Stage.EVALUATE, EVALUATED);
    awaitStatus(dj, s -> s.getPhase() == Phase.SUCCEEDED);

    List<Job> all = client.batch().v1().jobs().inNamespace(namespace).list().getItems();
    assertThat(all)
        .extracting(j -> j.getMetadata().getName())
        .containsExactlyInAnyOrder("adopted-score", "adopted-distill", "adopted-evaluate");
    assertThat(currentJob(dj, Stage.SCORE).getMetadata().getUid()).isEqualTo(scoreUid);
    assertThat(currentJob(dj, Stage.DISTILL).getMetadata().getUid()).isEqualTo(distillUid);
    assertThat(distilling.getStartTime()).isNotNull();
  }

  @Test
  void aJobPastItsDeadlineFailsAndItsStageIsStopped() {
    DistillationJob dj = MockCluster.job(client, namespace, "slow");
    dj.getSpec().setActiveDeadlineSeconds(2L);
    dj = client.resource(dj).create();
    jobs.start(dj, Stage.SCORE);

    DistillationJobStatus failed =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> status(client.resource(MockCluster.job(client, namespace, "slow")).get()),
                s -> s != null && s.getPhase() == Phase.FAILED);
    assertThat(condition(failed, "Failed").getReason()).isEqualTo("DeadlineExceeded");
    assertThat(condition(failed, "Failed").getMessage()).contains("activeDeadlineSeconds = 2");
    DistillationJob slow = dj;
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> Boolean.TRUE.equals(currentJob(slow, Stage.SCORE).getSpec().getSuspend()));
    jobs.finish(dj, Stage.SCORE, true, "CompletionsReached", 0);
    assertNoJobAppears(dj, Stage.DISTILL);
  }

  @Test
  void aFinishedJobIsDeletedWhenItsTtlRunsOut() {
    DistillationJob dj = MockCluster.job(client, namespace, "short-lived");
    dj.getSpec().setTtlSecondsAfterFinished(1);
    dj.getSpec().getSelection().getStaticSelection().setCriterion(StaticCriterion.PRECOMPUTED);
    dj.getSpec().getSelection().getStaticSelection().setScoresSource("pvc://scores/scores.npy");
    dj = client.resource(dj).create();

    Job distill = jobs.awaitJob(dj, Stage.DISTILL);
    assertThat(
            client.batch().v1().jobs().inNamespace(namespace).withName("short-lived-score").get())
        .as("precomputed scores skip the score stage")
        .isNull();
    assertThat(distill.getSpec().getTemplate().getSpec().getVolumes())
        .anySatisfy(
            v ->
                assertThat(v.getPersistentVolumeClaim())
                    .isNotNull()
                    .satisfies(pvc -> assertThat(pvc.getClaimName()).isEqualTo("scores")));
    DistillationJobStatus distilling = awaitStatus(dj, s -> s.getPhase() == Phase.DISTILLING);
    assertThat(distilling.getStages().getScore().getState()).isEqualTo(StageState.SKIPPED);
    assertThat(condition(distilling, "ScoresReady").getReason()).isEqualTo("StageSkipped");
    jobs.succeed(dj, Stage.DISTILL, DISTILLED.formatted(0, 100, 100));
    jobs.succeed(dj, Stage.EVALUATE, EVALUATED);

    DistillationJob shortLived = dj;
    await().atMost(Duration.ofSeconds(20)).until(() -> client.resource(shortLived).get() == null);
  }

  @Test
  void kueueLabelsAndThePriorityClassReachEveryStageJob() {
    DistillationJob dj = MockCluster.job(client, namespace, "queued");
    dj.getMetadata()
        .setLabels(Map.of(Labels.KUEUE_QUEUE, "gpu-queue", Labels.KUEUE_PRIORITY, "high"));
    dj.getSpec().setPodTemplate(new dev.goldpan.api.v1alpha1.WorkerPodTemplate());
    dj.getSpec().getPodTemplate().setPriorityClassName("research-high");
    dj = client.resource(dj).create();

    Job score = jobs.awaitJob(dj, Stage.SCORE);
    assertThat(score.getMetadata().getLabels())
        .containsEntry(Labels.KUEUE_QUEUE, "gpu-queue")
        .containsEntry(Labels.KUEUE_PRIORITY, "high");
    assertThat(score.getSpec().getTemplate().getSpec().getPriorityClassName())
        .isEqualTo("research-high");
    assertThat(score.getSpec().getSuspend()).as("Kueue integration is off by default").isFalse();
    jobs.succeed(dj, Stage.SCORE, SCORED);
    assertThat(jobs.awaitJob(dj, Stage.DISTILL).getMetadata().getLabels())
        .containsEntry(Labels.KUEUE_QUEUE, "gpu-queue");
  }

  @Test
  void anEditedTaskIsRestored() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "drift")).create();
    jobs.awaitJob(dj, Stage.SCORE);
    ConfigMap task = client.configMaps().inNamespace(namespace).withName("drift-task").get();
    String taskYaml = task.getData().get("task.yaml");

    client
        .configMaps()
        .inNamespace(namespace)
        .withName("drift-task")
        .edit(
            c -> {
              c.getData().put("task.yaml", "tampered");
              return c;
            });
    // A change to the job makes the operator look again (as its periodic resync would).
    setSuspend(dj, true);

    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                client
                    .configMaps()
                    .inNamespace(namespace)
                    .withName("drift-task")
                    .get()
                    .getData()
                    .get("task.yaml"),
            yaml -> yaml.contains("pvc://fashion-mnist/") && yaml.contains("suspend: true"));
    assertThat(taskYaml).contains("suspend: false");
  }

  @Test
  void aPodThatCannotMountItsVolumesMakesTheStageWaitAndSaysWhy() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "mount")).create();
    Job score = jobs.awaitJob(dj, Stage.SCORE);
    Pod pod =
        client
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("mount-score-0-abcde")
                    .withNamespace(namespace)
                    .withLabels(Labels.stage(dj, Stage.SCORE))
                    .addNewOwnerReference()
                    .withApiVersion("batch/v1")
                    .withKind("Job")
                    .withName(score.getMetadata().getName())
                    .withUid(score.getMetadata().getUid())
                    .withController(true)
                    .endOwnerReference()
                    .endMetadata()
                    .withNewSpec()
                    .withNodeName("node-1")
                    .addNewContainer()
                    .withName(WorkerPods.CONTAINER)
                    .withImage("goldpan/worker:test")
                    .endContainer()
                    .endSpec()
                    .withNewStatus()
                    .withPhase("Pending")
                    .addNewContainerStatus()
                    .withName(WorkerPods.CONTAINER)
                    .withNewState()
                    .withNewWaiting()
                    .withReason("ContainerCreating")
                    .endWaiting()
                    .endState()
                    .endContainerStatus()
                    .endStatus()
                    .build())
            .create();

    // What the kubelet reports, and only as an Event, when a Secret volume is missing.
    client
        .v1()
        .events()
        .inNamespace(namespace)
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName("mount-score-0-abcde.failedmount")
                .withNamespace(namespace)
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("Pod")
                .withName("mount-score-0-abcde")
                .withNamespace(namespace)
                .withUid(pod.getMetadata().getUid())
                .endInvolvedObject()
                .withType("Warning")
                .withReason("FailedMount")
                .withMessage(
                    "MountVolume.SetUp failed for volume \"output-s3\" : secret \"gone\" not found")
                .withLastTimestamp("2024-05-01T10:00:00Z")
                .build())
        .create();
    // The kubelet's Event changes no watched object; a change to the pod makes the operator look.
    client
        .pods()
        .inNamespace(namespace)
        .withName(pod.getMetadata().getName())
        .edit(
            p -> {
              p.getMetadata().setAnnotations(Map.of("goldpan.dev/test", "mount event written"));
              return p;
            });

    DistillationJobStatus waiting =
        awaitStatus(dj, s -> s.getStages().getScore().getState() == StageState.WAITING);
    assertThat(waiting.getStages().getScore().getReason()).isEqualTo("FailedMount");
    assertThat(waiting.getStages().getScore().getMessage())
        .contains("mount-score-0-abcde")
        .contains("secret \"gone\" not found");
    assertThat(condition(waiting, "ScoresReady").getReason()).isEqualTo("FailedMount");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(eventReasons("mount")).contains("ScoreWaiting"));
  }

  @Test
  void aChildThatCannotBeCreatedIsInTheStatusAndAnEvent() {
    // A ConfigMap of the task's name that the job does not own (the user's, say).
    client
        .configMaps()
        .inNamespace(namespace)
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("taken-task")
                .withNamespace(namespace)
                .endMetadata()
                .addToData("note", "not the operator's")
                .build())
        .create();
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "taken")).create();

    DistillationJobStatus status =
        awaitStatus(
            dj,
            s ->
                StatusAggregator.condition(s, StatusAggregator.RECONCILED)
                    .filter(c -> "False".equals(c.getStatus()))
                    .isPresent());
    Condition reconciled = condition(status, StatusAggregator.RECONCILED);
    // The API server's reason (AlreadyExists; the mock says Invalid, the e2e suite checks it).
    assertThat(reconciled.getReason()).isNotBlank().isNotEqualTo("OperatorException");
    assertThat(reconciled.getMessage())
        .contains("cannot create or update ConfigMap taken-task")
        .contains("already exists");
    assertThat(client.configMaps().inNamespace(namespace).withName("taken-task").get().getData())
        .as("the user's ConfigMap is left as it was")
        .containsEntry("note", "not the operator's");
    assertNoJobAppears(dj, Stage.SCORE);
    List<String> reasons =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> eventReasons("taken"), r -> r.contains("ReconcileFailed"));
    assertThat(reasons).containsOnlyOnce("ReconcileFailed");
  }

  @Test
  void aFailedStageWhoseJobIsDeletedIsNotRunAgain() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "final")).create();
    jobs.start(dj, Stage.SCORE);
    jobs.finish(dj, Stage.SCORE, false, "BackoffLimitExceeded", 4);
    awaitStatus(dj, s -> s.getPhase() == Phase.FAILED);

    client.batch().v1().jobs().inNamespace(namespace).withName("final-score").delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> currentJob(dj, Stage.SCORE) == null);
    // The deletion is an event the operator reconciles; a change to the job is another.
    setSuspend(dj, true);

    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(6))
        .until(() -> currentJob(dj, Stage.SCORE) == null);
    DistillationJobStatus status = awaitStatus(dj, s -> true);
    assertThat(status.getPhase()).isEqualTo(Phase.FAILED);
    assertThat(status.getStages().getScore().getState()).isEqualTo(StageState.FAILED);
    assertThat(condition(status, "Failed").getReason()).isEqualTo("BackoffLimitExceeded");
  }

  private static void assertWorkerPod(Job job) {
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    Container worker = pod.getContainers().get(0);
    assertThat(worker.getName()).isEqualTo(WorkerPods.CONTAINER);
    assertThat(worker.getImage()).isEqualTo("goldpan/worker:test");
    assertThat(worker.getCommand()).containsExactly("goldpan-worker");
    assertThat(worker.getArgs())
        .containsExactly("stage", "score", "--task", "/etc/goldpan/task/task.yaml");
    assertThat(worker.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(worker.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(worker.getResources().getLimits()).containsKey("nvidia.com/gpu");
    assertThat(worker.getResources().getLimits().get("nvidia.com/gpu").getAmount()).isEqualTo("1");
    assertThat(worker.getResources().getRequests().get("memory").toString()).isEqualTo("4Gi");
    assertThat(worker.getVolumeMounts())
        .extracting(m -> m.getMountPath() + (Boolean.TRUE.equals(m.getReadOnly()) ? ":ro" : ":rw"))
        .contains(
            "/tmp:rw",
            "/etc/goldpan/task:ro",
            "/var/run/secrets/goldpan/progress:ro",
            "/mnt/goldpan/fashion-mnist:ro",
            "/var/run/secrets/goldpan/s3:ro");
    assertThat(worker.getEnv())
        .anySatisfy(
            env -> {
              assertThat(env.getName()).isEqualTo("GOLDPAN_PROGRESS_URL");
              assertThat(env.getValue())
                  .isEqualTo(
                      "http://goldpan-operator.goldpan.svc:8080/progress/"
                          + job.getMetadata().getNamespace()
                          + "/pipeline");
            });
  }

  private void setSuspend(DistillationJob dj, boolean suspend) {
    client
        .resources(DistillationJob.class)
        .inNamespace(namespace)
        .withName(dj.getMetadata().getName())
        .edit(
            current -> {
              current.getSpec().setSuspend(suspend);
              return current;
            });
  }

  private Job currentJob(DistillationJob dj, Stage stage) {
    return client.batch().v1().jobs().inNamespace(namespace).withName(stage.jobName(dj)).get();
  }

  private void assertNoJobAppears(DistillationJob dj, Stage stage) {
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> currentJob(dj, stage) == null);
  }

  private DistillationJobStatus awaitStatus(
      DistillationJob dj, Predicate<DistillationJobStatus> until) {
    return await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                status(
                    client
                        .resources(DistillationJob.class)
                        .inNamespace(namespace)
                        .withName(dj.getMetadata().getName())
                        .get()),
            s -> s != null && s.getPhase() != null && until.test(s));
  }

  private static DistillationJobStatus status(DistillationJob dj) {
    return dj == null ? null : dj.getStatus();
  }

  private Condition condition(DistillationJobStatus status, String type) {
    assertThat(status.getConditions())
        .as("conditions: %s", client.getKubernetesSerialization().asJson(status))
        .extracting(Condition::getType)
        .doesNotHaveDuplicates();
    return StatusAggregator.condition(status, type)
        .orElseThrow(() -> new AssertionError("no condition " + type));
  }

  private List<String> eventReasons(String name) {
    return client.v1().events().inNamespace(namespace).list().getItems().stream()
        .filter(e -> name.equals(e.getInvolvedObject().getName()))
        .map(Event::getReason)
        .toList();
  }
}
