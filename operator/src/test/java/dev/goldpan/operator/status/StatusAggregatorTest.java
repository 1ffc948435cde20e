package dev.goldpan.operator.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goldpan.api.v1alpha1.AccuracySummary;
import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import dev.goldpan.api.v1alpha1.Phase;
import dev.goldpan.api.v1alpha1.StageState;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status rebuilt from stage Jobs and their pods' termination messages. */
class StatusAggregatorTest {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final String IMAGE = "img";
  private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

  private static final String SPEC =
      """
      dataset:
        format: idx
        source: pvc://fashion-mnist/
      output:
        location: s3://goldpan/x
      """;

  @Test
  void withoutJobsEverythingIsPendingAndTheSpecIsAccepted() {
    DistillationJobStatus status = aggregate(job(SPEC), List.of(), List.of(), T0);

    assertThat(status.getPhase()).isEqualTo(Phase.PENDING);
    assertThat(status.getObservedGeneration()).isEqualTo(3L);
    assertThat(status.getStages().getScore().getState()).isEqualTo(StageState.PENDING);
    assertThat(status.getStages().getDistill().getState()).isEqualTo(StageState.PENDING);
    assertThat(status.getStages().getEvaluate().getState()).isEqualTo(StageState.PENDING);
    assertThat(status.getStartTime()).isNull();
    assertThat(status.getCompletionTime()).isNull();
    assertThat(status.getResult().getOutputLocation()).isEqualTo("s3://goldpan/x");
    assertThat(status.getResult().getArtifacts()).isNull();

    Condition accepted = condition(status, "Accepted");
    assertThat(accepted.getStatus()).isEqualTo("True");
    assertThat(accepted.getMessage()).contains("img");
    assertThat(accepted.getObservedGeneration()).isEqualTo(3L);
    assertThat(accepted.getLastTransitionTime()).isEqualTo(T0.toString());
    assertThat(condition(status, "Succeeded").getStatus()).isEqualTo("False");
    assertThat(condition(status, "Succeeded").getReason()).isEqualTo("InProgress");
    assertThat(condition(status, "Failed").getStatus()).isEqualTo("False");
    assertThat(condition(status, "Suspended").getStatus()).isEqualTo("False");
    assertThat(condition(status, "ScoresReady").getReason()).isEqualTo("StagePending");
  }

  @Test
  void aRunningStageSaysWhyItsPodDoesNotStart() {
    DistillationJob dj = job(SPEC);
    Pod unschedulable = unschedulable("score");
    Pod noImage =
        waiting("score")
            .editStatus()
            .addNewContainerStatus()
            .withName("worker")
            .withNewState()
            .withNewWaiting()
            .withReason("ImagePullBackOff")
            .withMessage("Back-off pulling image \"registry.example/none:1\"")
            .endWaiting()
            .endState()
            .endContainerStatus()
            .endStatus()
            .build();
    Pod justCreated = waiting("score").build();

    String gpus =
        aggregate(dj, List.of(running(dj, "score")), List.of(unschedulable), T0)
            .getStages()
            .getScore()
            .getMessage();
    String image =
        aggregate(dj, List.of(running(dj, "score")), List.of(noImage), T0)
            .getStages()
            .getScore()
            .getMessage();
    DistillationJobStatus starting =
        aggregate(dj, List.of(running(dj, "score")), List.of(justCreated), T0);

    assertThat(gpus)
        .startsWith("pod fmnist-score-0 cannot be scheduled")
        .contains("Insufficient nvidia.com/gpu");
    assertThat(image)
        .startsWith("pod fmnist-score-0 cannot start: ImagePullBackOff")
        .contains("registry.example/none:1");
    assertThat(starting.getStages().getScore().getMessage()).isNull();
    assertThat(starting.getStages().getScore().getState()).isEqualTo(StageState.RUNNING);
    // Another stage's pod says nothing about this one.
    assertThat(
            aggregate(
                    dj,
                    List.of(running(dj, "score")),
                    List.of(
                        waiting("distill")
                            .editStatus()
                            .addNewCondition()
                            .withType("PodScheduled")
                            .withStatus("False")
                            .withReason("Unschedulable")
                            .withMessage("no")
                            .endCondition()
                            .endStatus()
                            .build()),
                    T0)
                .getStages()
                .getScore()
                .getMessage())
        .isNull();
  }

  @Test
  void aStageWhosePodsAllWaitForAReasonIsWaitingWithThatReason() {
    DistillationJob dj = job(SPEC);
    Pod unschedulable = unschedulable("score");

    DistillationJobStatus status =
        aggregate(dj, List.of(running(dj, "score")), List.of(unschedulable), T0);

    assertThat(status.getStages().getScore().getState()).isEqualTo(StageState.WAITING);
    assertThat(status.getStages().getScore().getReason()).isEqualTo("Unschedulable");
    assertThat(condition(status, "ScoresReady").getReason()).isEqualTo("Unschedulable");
    assertThat(condition(status, "ScoresReady").getMessage())
        .contains("Insufficient nvidia.com/gpu");
    assertThat(status.getPhase()).isEqualTo(Phase.SCORING);
  }

  /** A pod of {@code stage} that the scheduler cannot place: no node has the GPU it asks for. */
  static Pod unschedulable(String stage) {
    return waiting(stage)
        .editStatus()
        .addNewCondition()
        .withType("PodScheduled")
        .withStatus("False")
        .withReason("Unschedulable")
        .withMessage("0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")
        .endCondition()
        .endStatus()
        .build();
  }

  /** The score stage's pod, scheduled, with its container waiting in ContainerCreating. */
  private static PodBuilder creating() {
    return waiting("score")
        .editMetadata()
        .withUid("pod-uid")
        .endMetadata()
        .withNewSpec()
        .withNodeName("node-1")
        .endSpec()
        .editStatus()
        .addNewContainerStatus()
        .withName("worker")
        .withNewState()
        .withNewWaiting()
        .withReason("ContainerCreating")
        .endWaiting()
        .endState()
        .endContainerStatus()
        .endStatus();
  }

  @Test
  void aPodThatCannotMountItsVolumesWaitsWithTheKubeletsEvent() {
    DistillationJob dj = job(SPEC);
    Pod creating = creating().build();
    Event older = mountEvent("pod-uid", "2024-05-01T09:00:00Z", "secret \"old\" not found");
    Event newer = mountEvent("pod-uid", "2024-05-01T09:30:00Z", "secret \"s3\" not found");
    Event otherPod = mountEvent("other-uid", "2024-05-01T09:40:00Z", "secret \"x\" not found");

    assertThat(StatusAggregator.waitsForVolumes(creating)).isTrue();
    DistillationJobStatus status =
        StatusAggregator.aggregate(
            dj,
            List.of(running(dj, "score")),
            List.of(creating),
            List.of(older, newer, otherPod),
            IMAGE,
            T0);
    DistillationJobStatus withoutEvents =
        aggregate(dj, List.of(running(dj, "score")), List.of(creating), T0);

    assertThat(status.getStages().getScore().getState()).isEqualTo(StageState.WAITING);
    assertThat(status.getStages().getScore().getReason()).isEqualTo("FailedMount");
    assertThat(status.getStages().getScore().getMessage())
        .isEqualTo("pod fmnist-score-0 cannot start: FailedMount: secret \"s3\" not found");
    assertThat(withoutEvents.getStages().getScore().getState()).isEqualTo(StageState.RUNNING);
  }

  @Test
  void aRefusedMountTheKubeletGotPastIsNotWhyThePodWaits() {
    DistillationJob dj = job(SPEC);
    // What the kubelet reported once, a second before it mounted the claim on its retry.
    Event refused =
        mountEvent(
            "pod-uid",
            "2024-05-01T09:00:00Z",
            "error processing PVC ns/fashion-mnist: failed to fetch PVC from API server: ... no"
                + " relationship found between node 'node-1' and this object");
    Event pullingImage = podEvent("pod-uid", "Pulling", "2024-05-01T09:00:02Z", "Pulling image");
    Pod mounting = creating().build();
    Pod sandboxReady =
        creating()
            .editStatus()
            .addNewCondition()
            .withType("PodReadyToStartContainers")
            .withStatus("True")
            .endCondition()
            .endStatus()
            .build();

    DistillationJobStatus afterPulling =
        StatusAggregator.aggregate(
            dj,
            List.of(running(dj, "score")),
            List.of(mounting),
            List.of(refused, pullingImage),
            IMAGE,
            T0);
    DistillationJobStatus withSandbox =
        StatusAggregator.aggregate(
            dj, List.of(running(dj, "score")), List.of(sandboxReady), List.of(refused), IMAGE, T0);
    DistillationJobStatus refusedLast =
        StatusAggregator.aggregate(
            dj, List.of(running(dj, "score")), List.of(mounting), List.of(refused), IMAGE, T0);

    assertThat(afterPulling.getStages().getScore().getState()).isEqualTo(StageState.RUNNING);
    assertThat(afterPulling.getStages().getScore().getReason()).isNotEqualTo("FailedMount");
    assertThat(StatusAggregator.waitsForVolumes(sandboxReady)).isFalse();
    assertThat(withSandbox.getStages().getScore().getState()).isEqualTo(StageState.RUNNING);
    // Without either sign the refusal is all there is to say.
    assertThat(refusedLast.getStages().getScore().getReason()).isEqualTo("FailedMount");
  }

  private static Event mountEvent(String podUid, String time, String message) {
    return podEvent(podUid, "FailedMount", time, message);
  }

  private static Event podEvent(String podUid, String reason, String time, String message) {
    return new EventBuilder()
        .withNewInvolvedObject()
        .withKind("Pod")
        .withUid(podUid)
        .endInvolvedObject()
        .withReason(reason)
        .withMessage(message)
        .withLastTimestamp(time)
        .build();
  }

  @Test
  void aFinishedStageWhoseJobIsDeletedStaysFinishedAndSoDoesTheJob() {
    DistillationJob dj = job(SPEC);
    dj.setStatus(
        aggregate(
            dj,
            List.of(failed(dj, "score", "BackoffLimitExceeded", "too many failures")),
            List.of(),
            T0));
    assertThat(dj.getStatus().getPhase()).isEqualTo(Phase.FAILED);

    DistillationJobStatus afterDeletion = aggregate(dj, List.of(), List.of(), T0.plusSeconds(60));

    assertThat(afterDeletion.getPhase()).isEqualTo(Phase.FAILED);
    assertThat(afterDeletion.getStages().getScore().getState()).isEqualTo(StageState.FAILED);
    assertThat(afterDeletion.getStages().getScore().getJob()).isEqualTo("fmnist-score");
    assertThat(condition(afterDeletion, "Failed").getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(afterDeletion.getCompletionTime()).isEqualTo(dj.getStatus().getCompletionTime());
    assertThat(StatusAggregator.condition(afterDeletion, "Failed").get().getLastTransitionTime())
        .isEqualTo(T0.toString());
  }

  @Test
  void aChildThatCannotBeMadeTurnsReconciledFalseWithTheApiServersReason() {
    DistillationJob dj = job(SPEC);
    DistillationJobStatus fine = aggregate(dj, List.of(), List.of(), T0);
    assertThat(condition(fine, "Reconciled").getStatus()).isEqualTo("True");

    DistillationJobStatus failing =
        StatusAggregator.reconcileFailed(
            dj, fine, "AlreadyExists", "cannot create or update Job fmnist-score: exists", T0);

    assertThat(condition(failing, "Reconciled").getStatus()).isEqualTo("False");
    assertThat(condition(failing, "Reconciled").getReason()).isEqualTo("AlreadyExists");
    assertThat(failing.getConditions()).extracting(Condition::getType).doesNotHaveDuplicates();
  }

  @Test
  void withoutAWorkerImageTheSpecIsNotAccepted() {
    DistillationJobStatus status =
        StatusAggregator.aggregate(job(SPEC), List.of(), List.of(), null, T0);

    Condition accepted = condition(status, "Accepted");
    assertThat(accepted.getStatus()).isEqualTo("False");
    assertThat(accepted.getReason()).isEqualTo("NoWorkerImage");
    assertThat(accepted.getMessage()).contains("spec.worker.image");
  }

  @Test
  void conditionsKeepTheirTransitionTimeUntilTheirStatusFlips() {
    DistillationJob dj = job(SPEC);
    Instant t1 = T0.plusSeconds(60);
    Instant t2 = T0.plusSeconds(120);

    DistillationJobStatus first = aggregate(dj, List.of(running(dj, "score")), List.of(), T0);
    assertThat(condition(first, "ScoresReady").getStatus()).isEqualTo("False");
    assertThat(condition(first, "Distilled").getReason()).isEqualTo("StagePending");

    dj.setStatus(first);
    DistillationJobStatus second =
        aggregate(dj, List.of(complete(dj, "score"), running(dj, "distill")), List.of(), t1);
    assertThat(condition(second, "ScoresReady").getStatus()).isEqualTo("True");
    assertThat(condition(second, "ScoresReady").getLastTransitionTime()).isEqualTo(t1.toString());
    // Distilled went from StagePending to StageRunning, but stayed False.
    assertThat(condition(second, "Distilled").getReason()).isEqualTo("StageRunning");
    assertThat(condition(second, "Distilled").getLastTransitionTime()).isEqualTo(T0.toString());
    assertThat(condition(second, "Accepted").getLastTransitionTime()).isEqualTo(T0.toString());
    assertThat(condition(second, "Failed").getLastTransitionTime()).isEqualTo(T0.toString());

    dj.setStatus(second);
    DistillationJobStatus third =
        aggregate(dj, List.of(complete(dj, "score"), complete(dj, "distill")), List.of(), t2);
    assertThat(condition(third, "ScoresReady").getLastTransitionTime()).isEqualTo(t1.toString());
    assertThat(condition(third, "Distilled").getStatus()).isEqualTo("True");
    assertThat(condition(third, "Distilled").getLastTransitionTime()).isEqualTo(t2.toString());
    assertThat(condition(third, "Accepted").getLastTransitionTime()).isEqualTo(T0.toString());
  }

  @Test
  void shardedDistillSumsImagesAndKeepsTheLargestPool() {
    DistillationJob dj = job(SPEC);
    List<Pod> pods =
        List.of(
            pod("distill", 0, 0, T0.plusSeconds(10), distilled(0, 50, 30000, "shard zero done")),
            pod("distill", 1, 0, T0.plusSeconds(11), distilled(1, 50, 29000, "shard one done")));

    DistillationJobStatus status =
        aggregate(dj, List.of(complete(dj, "score"), complete(dj, "distill")), pods, T0);

    assertThat(status.getPhase()).isEqualTo(Phase.DISTILLING);
    assertThat(status.getResult().getSyntheticImages()).isEqualTo(100);
    assertThat(status.getResult().getRealSamplesKept()).isEqualTo(30000L);
    assertThat(status.getStages().getDistill().getState()).isEqualTo(StageState.SUCCEEDED);
    assertThat(status.getStages().getDistill().getMessage())
        .isEqualTo("[0] shard zero done; [1] shard one done");
    assertThat(condition(status, "Distilled").getMessage())
        .isEqualTo("[0] shard zero done; [1] shard one done");
    assertThat(status.getResult().getArtifacts().getSynthetic())
        .isEqualTo("s3://goldpan/x/synthetic.npz");
    assertThat(status.getResult().getArtifacts().getReport()).isNull();
  }

  @Test
  void aRetriedShardCountsOnce() {
    DistillationJob dj = job(SPEC);
    List<Pod> pods =
        List.of(
            pod("distill", 0, 0, T0.plusSeconds(10), distilled(0, 50, 30000, "shard zero done")),
            pod("distill", 1, 137, T0.plusSeconds(5), "Killed"),
            pod("distill", 1, 0, T0.plusSeconds(20), distilled(1, 50, 30000, "shard one retried")));

    DistillationJobStatus status =
        aggregate(dj, List.of(complete(dj, "score"), complete(dj, "distill")), pods, T0);

    assertThat(status.getResult().getSyntheticImages()).isEqualTo(100);
    assertThat(status.getStages().getDistill().getMessage())
        .isEqualTo("[0] shard zero done; [1] shard one retried");
    assertThat(status.getStages().getDistill().getAttempts()).isEqualTo(3);
  }

  @Test
  void twoSuccessesOfOneIndexCountOnceAndTheNewerWins() {
    DistillationJob dj = job(SPEC);
    List<Pod> pods =
        List.of(
            pod("distill", 1, 0, T0.plusSeconds(30), distilled(1, 50, 30000, "shard one newer")),
            pod("distill", 0, 0, T0.plusSeconds(10), distilled(0, 50, 30000, "shard zero done")),
            pod("distill", 1, 0, T0.plusSeconds(20), distilled(1, 50, 30000, "shard one older")));

    DistillationJobStatus status =
        aggregate(dj, List.of(complete(dj, "score"), complete(dj, "distill")), pods, T0);

    assertThat(status.getResult().getSyntheticImages()).isEqualTo(100);
    assertThat(status.getStages().getDistill().getMessage())
        .isEqualTo("[0] shard zero done; [1] shard one newer");
  }

  @Test
  void invalidInputFailsWithTheWorkersMessage() {
    DistillationJob dj = job(SPEC);
    String refusal =
        "{\"stage\":\"score\",\"index\":0,\"status\":\"Failed\","
            + "\"message\":\"dataset.source pvc://fashion-mnist/ holds no train-images-idx3-ubyte\"}";
    List<Pod> pods =
        List.of(
            pod("score", 0, 1, T0.plusSeconds(5), "first attempt crashed"),
            pod("score", 0, 2, T0.plusSeconds(30), refusal));
    Instant now = T0.plusSeconds(40);

    DistillationJobStatus status =
        aggregate(dj, List.of(failed(dj, "score", "PodFailurePolicy", "exit code 2")), pods, now);

    assertThat(status.getPhase()).isEqualTo(Phase.FAILED);
    assertThat(status.getStages().getScore().getState()).isEqualTo(StageState.FAILED);
    assertThat(status.getStages().getScore().getMessage())
        .isEqualTo("dataset.source pvc://fashion-mnist/ holds no train-images-idx3-ubyte");
    Condition failed = condition(status, "Failed");
    assertThat(failed.getStatus()).isEqualTo("True");
    assertThat(failed.getReason()).isEqualTo("InvalidInput");
    assertThat(failed.getMessage())
        .isEqualTo(
            "the score stage failed: dataset.source pvc://fashion-mnist/"
                + " holds no train-images-idx3-ubyte");
    assertThat(condition(status, "Succeeded").getReason()).isEqualTo("Failed");
    assertThat(condition(status, "ScoresReady").getReason()).isEqualTo("StageFailed");
    assertThat(status.getCompletionTime()).isEqualTo(now.toString());
  }

  @Test
  void aWorkerKilledForItsMemoryLimitSaysSo() {
    DistillationJob dj = job(SPEC);
    Pod oom = pod("distill", 0, 137, T0.plusSeconds(5), "distill [###......]  10% 20/200");
    oom.getStatus().getContainerStatuses().get(0).getState().getTerminated().setReason("OOMKilled");
    Pod crashed = pod("distill", 0, 137, T0.plusSeconds(9), "distill [###......]  10% 20/200");

    List<Job> jobs =
        List.of(complete(dj, "score"), failed(dj, "distill", "BackoffLimitExceeded", ""));
    String oomMessage =
        aggregate(dj, jobs, List.of(oom), T0.plusSeconds(20)).getStages().getDistill().getMessage();
    String crashMessage =
        aggregate(dj, jobs, List.of(crashed), T0.plusSeconds(20))
            .getStages()
            .getDistill()
            .getMessage();

    assertThat(oomMessage)
        .startsWith("OOMKilled: the worker exceeded its memory limit (spec.resources.memory)")
        .endsWith("20/200");
    assertThat(crashMessage).doesNotContain("OOMKilled");
  }

  @Test
  void onlyTheLastFailedPodDecidesWhetherTheInputWasInvalid() {
    DistillationJob dj = job(SPEC);
    List<Pod> pods =
        List.of(
            pod("score", 0, 2, T0.plusSeconds(5), "{\"message\":\"bad input\"}"),
            pod("score", 0, 1, T0.plusSeconds(30), "out of disk"));

    DistillationJobStatus status =
        aggregate(
            dj,
            List.of(failed(dj, "score", "BackoffLimitExceeded", "backoff limit reached")),
            pods,
            T0);

    Condition failed = condition(status, "Failed");
    assertThat(failed.getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(failed.getMessage()).isEqualTo("the score stage failed: out of disk");
  }

  @Test
  void aFailedJobWithoutPodsIsExplainedByItsCondition() {
    DistillationJob dj = job(SPEC);

    DistillationJobStatus status =
        aggregate(
            dj,
            List.of(
                complete(dj, "score"),
                failed(dj, "distill", "BackoffLimitExceeded", "Job has reached the backoff limit")),
            List.of(),
            T0);

    assertThat(status.getPhase()).isEqualTo(Phase.FAILED);
    assertThat(status.getStages().getDistill().getMessage())
        .isEqualTo("BackoffLimitExceeded: Job has reached the backoff limit");
    Condition failed = condition(status, "Failed");
    assertThat(failed.getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(failed.getMessage())
        .isEqualTo(
            "the distill stage failed: BackoffLimitExceeded: Job has reached the backoff limit");
  }

  @Test
  void aLogTailInsteadOfJsonGivesItsLastLine() {
    DistillationJob dj = job(SPEC);
    String tail =
        """
        loading fashion-mnist
        epoch 3/20 loss 0.41
        java.lang.OutOfMemoryError: Java heap space
        """;

    DistillationJobStatus status =
        aggregate(
            dj,
            List.of(failed(dj, "score", "BackoffLimitExceeded", "")),
            List.of(pod("score", 0, 1, T0, tail)),
            T0);

    assertThat(status.getStages().getScore().getMessage())
        .isEqualTo("java.lang.OutOfMemoryError: Java heap space");
    assertThat(condition(status, "Failed").getMessage())
        .isEqualTo("the score stage failed: java.lang.OutOfMemoryError: Java heap space");
  }

  @Test
  void attemptsCountActiveSucceededAndFailedPods() {
    DistillationJob dj = job(SPEC);
    Job distill =
        new JobBuilder(running(dj, "distill"))
            .editStatus()
            .withActive(1)
            .withSucceeded(2)
            .withFailed(3)
            .endStatus()
            .build();

    DistillationJobStatus status =
        aggregate(dj, List.of(complete(dj, "score"), distill), List.of(), T0);

    assertThat(status.getStages().getDistill().getAttempts()).isEqualTo(6);
    assertThat(status.getStages().getDistill().getState()).isEqualTo(StageState.RUNNING);
    assertThat(status.getStages().getDistill().getJob()).isEqualTo("fmnist-distill");
    assertThat(status.getPhase()).isEqualTo(Phase.DISTILLING);
    assertThat(status.getStartTime()).isEqualTo(T0.minusSeconds(600).toString());
  }

  @Test
  void precomputedScoresSkipTheScoreStage() {
    DistillationJob dj =
        job(
            SPEC
                + """
                selection:
                  static:
                    criterion: precomputed
                    scoresSource: pvc://scores/s.npy
                """);

    DistillationJobStatus status = aggregate(dj, List.of(), List.of(), T0);

    assertThat(status.getStages().getScore().getState()).isEqualTo(StageState.SKIPPED);
    assertThat(status.getStages().getDistill().getState()).isEqualTo(StageState.PENDING);
    Condition scoresReady = condition(status, "ScoresReady");
    assertThat(scoresReady.getStatus()).isEqualTo("True");
    assertThat(scoresReady.getReason()).isEqualTo("StageSkipped");
    assertThat(scoresReady.getMessage()).contains("scoresSource");
  }

  @Test
  void aRunningJobPastItsDeadlineFails() {
    DistillationJob dj = job(SPEC + "activeDeadlineSeconds: 600\n");
    Job score = running(dj, "score", T0);

    DistillationJobStatus before = aggregate(dj, List.of(score), List.of(), T0.plusSeconds(600));
    assertThat(before.getPhase()).isEqualTo(Phase.SCORING);
    assertThat(condition(before, "Failed").getStatus()).isEqualTo("False");

    Instant late = T0.plusSeconds(601);
    DistillationJobStatus after = aggregate(dj, List.of(score), List.of(), late);
    assertThat(after.getPhase()).isEqualTo(Phase.FAILED);
    Condition failed = condition(after, "Failed");
    assertThat(failed.getStatus()).isEqualTo("True");
    assertThat(failed.getReason()).isEqualTo("DeadlineExceeded");
    assertThat(failed.getMessage()).contains("600");
    assertThat(after.getStages().getScore().getState()).isEqualTo(StageState.FAILED);
    assertThat(after.getStages().getScore().getMessage()).contains("activeDeadlineSeconds");
    assertThat(after.getCompletionTime()).isEqualTo(late.toString());
  }

  @Test
  void aSucceededJobDoesNotFailOnItsDeadline() {
    DistillationJob dj = job(SPEC + "activeDeadlineSeconds: 600\n");
    List<Job> jobs =
        List.of(complete(dj, "score"), complete(dj, "distill"), complete(dj, "evaluate"));

    DistillationJobStatus status = aggregate(dj, jobs, List.of(), T0.plusSeconds(3600));

    assertThat(status.getPhase()).isEqualTo(Phase.SUCCEEDED);
    assertThat(condition(status, "Failed").getStatus()).isEqualTo("False");
  }

  @Test
  void anExceededDeadlineIsSticky() {
    DistillationJob dj = job(SPEC + "activeDeadlineSeconds: 600\n");
    Job score = running(dj, "score", T0);
    Instant late = T0.plusSeconds(700);
    DistillationJobStatus failed = aggregate(dj, List.of(score), List.of(), late);
    dj.setStatus(failed);

    DistillationJobStatus status = aggregate(dj, List.of(score), List.of(), T0.plusSeconds(10));

    assertThat(status.getPhase()).isEqualTo(Phase.FAILED);
    Condition condition = condition(status, "Failed");
    assertThat(condition.getReason()).isEqualTo("DeadlineExceeded");
    assertThat(condition.getMessage()).isEqualTo(condition(failed, "Failed").getMessage());
    assertThat(condition.getLastTransitionTime()).isEqualTo(late.toString());
    assertThat(status.getCompletionTime()).isEqualTo(late.toString());
  }

  @Test
  void specSuspendSuspendsARunningJob() {
    DistillationJob dj = job(SPEC + "suspend: true\n");

    DistillationJobStatus status =
        aggregate(dj, List.of(complete(dj, "score"), running(dj, "distill")), List.of(), T0);

    assertThat(status.getPhase()).isEqualTo(Phase.SUSPENDED);
    Condition suspended = condition(status, "Suspended");
    assertThat(suspended.getStatus()).isEqualTo("True");
    assertThat(suspended.getReason()).isEqualTo("SuspendedBySpec");
  }

  @Test
  void aSuspendedStageJobIsASuspendedStage() {
    DistillationJob dj = job(SPEC + "suspend: true\n");
    Job distill =
        new JobBuilder(running(dj, "distill")).editSpec().withSuspend(true).endSpec().build();

    DistillationJobStatus status =
        aggregate(dj, List.of(complete(dj, "score"), distill), List.of(), T0);

    assertThat(status.getStages().getDistill().getState()).isEqualTo(StageState.SUSPENDED);
    assertThat(condition(status, "Distilled").getReason()).isEqualTo("StageSuspended");
  }

  @Test
  void aFinishedJobStaysSucceededWhenSuspended() {
    DistillationJob dj = job(SPEC + "suspend: true\n");
    List<Job> jobs =
        List.of(complete(dj, "score"), complete(dj, "distill"), complete(dj, "evaluate"));

    DistillationJobStatus status = aggregate(dj, jobs, List.of(), T0);

    assertThat(status.getPhase()).isEqualTo(Phase.SUCCEEDED);
    assertThat(condition(status, "Suspended").getStatus()).isEqualTo("False");
  }

  @Test
  void aSucceededEvaluationGivesTheResult() {
    DistillationJob dj = job(SPEC);
    List<Job> jobs =
        List.of(complete(dj, "score"), complete(dj, "distill"), complete(dj, "evaluate"));
    List<Pod> pods =
        List.of(
            pod("distill", 0, 0, T0, distilled(0, 100, 30000, "distilled 100 images")),
            pod("evaluate", 0, 0, T0.plusSeconds(30), evaluated()));

    DistillationJobStatus status = aggregate(dj, jobs, pods, T0.plusSeconds(3600));

    assertThat(status.getPhase()).isEqualTo(Phase.SUCCEEDED);
    assertThat(status.getCompletionTime()).isEqualTo(T0.toString());
    assertThat(status.getResult().getAccuracy().getMean()).isEqualTo(0.8123);
    assertThat(status.getResult().getAccuracy().getStd()).isEqualTo(0.0042);
    assertThat(status.getResult().getAccuracy().getModels()).isEqualTo(5);
    assertThat(status.getResult().getBaselines()).containsOnlyKeys("random", "full");
    AccuracySummary full = status.getResult().getBaselines().get("full");
    assertThat(full.getMean()).isEqualTo(0.91);
    assertThat(full.getStd()).isEqualTo(0.002);
    assertThat(status.getResult().getBaselines().get("random").getMean()).isEqualTo(0.55);
    assertThat(status.getResult().getSyntheticImages()).isEqualTo(100);
    assertThat(status.getResult().getArtifacts().getReport())
        .isEqualTo("s3://goldpan/x/report.html");
    assertThat(status.getResult().getArtifacts().getSynthetic())
        .isEqualTo("s3://goldpan/x/synthetic.npz");
    assertThat(status.getResult().getArtifacts().getScores())
        .isEqualTo("s3://goldpan/x/scores.npy");
    assertThat(condition(status, "Succeeded").getStatus()).isEqualTo("True");
    assertThat(condition(status, "Succeeded").getReason()).isEqualTo("Completed");
    assertThat(condition(status, "Evaluated").getMessage())
        .isEqualTo("test accuracy 0.8123 +- 0.0042 over 5 models");
  }

  @Test
  void theEvaluationShardThatMergedGivesTheResult() {
    DistillationJob dj = job(SPEC + "evaluation:\n  models: 5\n  parallelism: 2\n");
    List<Job> jobs =
        List.of(complete(dj, "score"), complete(dj, "distill"), complete(dj, "evaluate"));
    String partial =
        "{\"stage\":\"evaluate\",\"index\":0,\"status\":\"Succeeded\","
            + "\"shardAccuracies\":[0.8,0.81,0.82],\"message\":\"shard zero done\"}";
    List<Pod> pods =
        List.of(
            pod("evaluate", 0, 0, T0.plusSeconds(30), partial),
            pod("evaluate", 1, 0, T0.plusSeconds(31), evaluated()));

    DistillationJobStatus status = aggregate(dj, jobs, pods, T0.plusSeconds(60));

    assertThat(status.getResult().getAccuracy().getMean()).isEqualTo(0.8123);
    assertThat(status.getResult().getAccuracy().getModels()).isEqualTo(5);
    assertThat(status.getResult().getBaselines()).containsOnlyKeys("random", "full");
  }

  @Test
  void artifactsDoNotDoubleATrailingSlash() {
    DistillationJob dj = job(SPEC.replace("s3://goldpan/x", "s3://goldpan/x/"));
    List<Job> jobs =
        List.of(complete(dj, "score"), complete(dj, "distill"), complete(dj, "evaluate"));

    DistillationJobStatus status = aggregate(dj, jobs, List.of(), T0);

    assertThat(status.getResult().getArtifacts().getReport())
        .isEqualTo("s3://goldpan/x/report.html");
  }

  @Test
  void completionTimeIsKeptOnceSet() {
    DistillationJob dj = job(SPEC);
    List<Job> jobs = List.of(failed(dj, "score", "BackoffLimitExceeded", "limit"));
    Instant first = T0.plusSeconds(60);
    dj.setStatus(aggregate(dj, jobs, List.of(), first));

    DistillationJobStatus status = aggregate(dj, jobs, List.of(), T0.plusSeconds(600));

    assertThat(status.getCompletionTime()).isEqualTo(first.toString());
  }

  @Test
  void resultsOutliveTheirPods() {
    DistillationJob dj = job(SPEC);
    List<Job> jobs =
        List.of(complete(dj, "score"), complete(dj, "distill"), complete(dj, "evaluate"));
    List<Pod> pods =
        List.of(
            pod("distill", 0, 0, T0, distilled(0, 50, 30000, "shard zero done")),
            pod("distill", 1, 0, T0, distilled(1, 50, 29000, "shard one done")),
            pod("evaluate", 0, 0, T0.plusSeconds(30), evaluated()));
    dj.setStatus(aggregate(dj, jobs, pods, T0));

    DistillationJobStatus status = aggregate(dj, jobs, List.of(), T0.plusSeconds(60));

    assertThat(status.getPhase()).isEqualTo(Phase.SUCCEEDED);
    assertThat(status.getResult().getSyntheticImages()).isEqualTo(100);
    assertThat(status.getResult().getRealSamplesKept()).isEqualTo(30000L);
    assertThat(status.getResult().getAccuracy().getMean()).isEqualTo(0.8123);
    assertThat(status.getResult().getBaselines()).containsOnlyKeys("random", "full");
    assertThat(status.getResult().getArtifacts().getReport())
        .isEqualTo("s3://goldpan/x/report.html");
  }

  @Test
  void resultsOutliveSomeOfTheirShardsPods() {
    DistillationJob dj = job(SPEC + "distillation:\n  parallelism: 2\n");
    List<Job> jobs = List.of(complete(dj, "score"), complete(dj, "distill"));
    Pod shardZero = pod("distill", 0, 0, T0, distilled(0, 50, 30000, "shard zero done"));
    Pod shardOne = pod("distill", 1, 0, T0, distilled(1, 50, 29000, "shard one done"));
    dj.setStatus(aggregate(dj, jobs, List.of(shardZero, shardOne), T0));

    DistillationJobStatus status = aggregate(dj, jobs, List.of(shardOne), T0.plusSeconds(60));

    assertThat(status.getResult().getSyntheticImages()).isEqualTo(100);
    assertThat(status.getResult().getRealSamplesKept()).isEqualTo(30000L);

    DistillationJobStatus podsGone = aggregate(dj, jobs, List.of(), T0.plusSeconds(90));
    assertThat(podsGone.getStages().getDistill().getMessage())
        .isEqualTo("[0] shard zero done; [1] shard one done");
  }

  @Test
  void aStageJobThatKueueHoldsIsQueuedAndSaysSo() {
    DistillationJob dj = job(SPEC);
    Job held =
        new JobBuilder(running(dj, "score"))
            .editMetadata()
            .addToLabels("kueue.x-k8s.io/queue-name", "team-a-queue")
            .endMetadata()
            .editSpec()
            .withSuspend(true)
            .endSpec()
            .build();

    DistillationJobStatus status = aggregate(dj, List.of(held), List.of(), T0);

    assertThat(status.getStages().getScore().getState()).isEqualTo(StageState.QUEUED);
    assertThat(status.getStages().getScore().getMessage())
        .isEqualTo("Job fmnist-score waits for Kueue to admit it from LocalQueue team-a-queue");
    assertThat(status.getPhase()).isEqualTo(Phase.SCORING);
    assertThat(status.getStage()).isEqualTo("score");
    assertThat(status.getReason()).isEqualTo("Queued");
    assertThat(condition(status, "ScoresReady").getReason()).isEqualTo("StageQueued");
    assertThat(condition(status, "Suspended").getStatus()).isEqualTo("False");

    // Suspended by its user, the same Job is suspended, not queued.
    DistillationJobStatus suspended =
        aggregate(job(SPEC + "suspend: true\n"), List.of(held), List.of(), T0);
    assertThat(suspended.getStages().getScore().getState()).isEqualTo(StageState.SUSPENDED);
    assertThat(suspended.getPhase()).isEqualTo(Phase.SUSPENDED);
    assertThat(suspended.getReason()).isNull();
  }

  @Test
  void stageAndReasonNameWhereTheJobIsAndWhyItWaitsOrFailed() {
    DistillationJob dj = job(SPEC);
    Pod unschedulable = unschedulable("distill");
    List<Job> distilling = List.of(complete(dj, "score"), running(dj, "distill"));

    DistillationJobStatus pending = aggregate(dj, List.of(), List.of(), T0);
    DistillationJobStatus running = aggregate(dj, distilling, List.of(), T0);
    DistillationJobStatus stuck = aggregate(dj, distilling, List.of(unschedulable), T0);
    DistillationJobStatus failed =
        aggregate(
            dj,
            List.of(complete(dj, "score"), failed(dj, "distill", "BackoffLimitExceeded", "")),
            List.of(),
            T0);
    DistillationJobStatus succeeded =
        aggregate(
            dj,
            List.of(complete(dj, "score"), complete(dj, "distill"), complete(dj, "evaluate")),
            List.of(),
            T0);

    assertThat(pending.getStage()).isNull();
    assertThat(pending.getReason()).isNull();
    assertThat(running.getStage()).isEqualTo("distill");
    assertThat(running.getReason()).isNull();
    assertThat(stuck.getStage()).isEqualTo("distill");
    assertThat(stuck.getReason()).isEqualTo("Unschedulable");
    assertThat(failed.getStage()).isEqualTo("distill");
    assertThat(failed.getReason()).isEqualTo("BackoffLimitExceeded");
    assertThat(succeeded.getStage()).isEqualTo("evaluate");
    assertThat(succeeded.getReason()).isNull();
  }

  static DistillationJobStatus aggregate(
      DistillationJob dj, List<Job> jobs, List<Pod> pods, Instant now) {
    return StatusAggregator.aggregate(dj, jobs, pods, IMAGE, now);
  }

  static DistillationJob job(String spec) {
    String yaml =
        """
        apiVersion: goldpan.dev/v1alpha1
        kind: DistillationJob
        metadata:
          name: fmnist
          namespace: team-a
          generation: 3
          uid: 6a1c2f0e-4b7d-4d0e-9a51-3f2b8c9d0e11
        spec:
        """
            + spec.indent(2);
    return SERIALIZATION.unmarshal(yaml, DistillationJob.class);
  }

  private static Condition condition(DistillationJobStatus status, String type) {
    return StatusAggregator.condition(status, type)
        .orElseThrow(() -> new AssertionError("no condition " + type));
  }

  private static JobBuilder stageJob(DistillationJob dj, String stage, Instant started) {
    return new JobBuilder()
        .withNewMetadata()
        .withName(dj.getMetadata().getName() + "-" + stage)
        .withNamespace(dj.getMetadata().getNamespace())
        .withCreationTimestamp(started.minusSeconds(1).toString())
        .endMetadata()
        .withNewSpec()
        .withSuspend(false)
        .endSpec()
        .withNewStatus()
        .withStartTime(started.toString())
        .endStatus();
  }

  static Job running(DistillationJob dj, String stage) {
    return running(dj, stage, T0.minusSeconds(600));
  }

  private static Job running(DistillationJob dj, String stage, Instant started) {
    return stageJob(dj, stage, started).editStatus().withActive(1).endStatus().build();
  }

  static Job complete(DistillationJob dj, String stage) {
    return stageJob(dj, stage, T0.minusSeconds(600))
        .editStatus()
        .withSucceeded(1)
        .withCompletionTime(T0.toString())
        .withConditions(
            new JobConditionBuilder()
                .withType("Complete")
                .withStatus("True")
                .withLastTransitionTime(T0.toString())
                .build())
        .endStatus()
        .build();
  }

  static Job failed(DistillationJob dj, String stage, String reason, String message) {
    return stageJob(dj, stage, T0.minusSeconds(600))
        .editStatus()
        .withFailed(1)
        .withConditions(
            new JobConditionBuilder()
                .withType("Failed")
                .withStatus("True")
                .withReason(reason)
                .withMessage(message)
                .withLastTransitionTime(T0.toString())
                .build())
        .endStatus()
        .build();
  }

  /** A pod of {@code stage} that has not started: phase Pending, nothing else said yet. */
  static PodBuilder waiting(String stage) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("fmnist-" + stage + "-0")
        .addToLabels("goldpan.dev/stage", stage)
        .endMetadata()
        .withNewStatus()
        .withPhase("Pending")
        .endStatus();
  }

  static Pod pod(String stage, int index, int exitCode, Instant finished, String message) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("fmnist-" + stage + "-" + index + "-" + finished.getEpochSecond())
        .addToLabels("goldpan.dev/stage", stage)
        .addToAnnotations("batch.kubernetes.io/job-completion-index", Integer.toString(index))
        .endMetadata()
        .withNewStatus()
        .withContainerStatuses(
            new ContainerStatusBuilder()
                .withName("worker")
                .withNewState()
                .withNewTerminated()
                .withExitCode(exitCode)
                .withFinishedAt(finished.toString())
                .withMessage(message)
                .endTerminated()
                .endState()
                .build())
        .endStatus()
        .build();
  }

  private static String distilled(int index, int images, long kept, String message) {
    return "{\"stage\":\"distill\",\"index\":%d,\"status\":\"Succeeded\",\"syntheticImages\":%d,\"realSamplesKept\":%d,\"message\":\"%s\"}"
        .formatted(index, images, kept, message);
  }

  private static String evaluated() {
    return "{"
        + String.join(
            ",",
            "\"stage\":\"evaluate\",\"index\":0,\"status\":\"Succeeded\"",
            "\"accuracyMean\":0.8123,\"accuracyStd\":0.0042,\"models\":5",
            "\"baselines\":{\"random\":{\"mean\":0.55,\"std\":0.01},"
                + "\"full\":{\"mean\":0.91,\"std\":0.002}}",
            "\"message\":\"test accuracy 0.8123 +- 0.0042 over 5 models\"")
        + "}";
  }
}
