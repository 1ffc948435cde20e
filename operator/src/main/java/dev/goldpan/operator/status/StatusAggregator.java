package dev.goldpan.operator.status;

import com.fasterxml.jackson.databind.JsonNode;
import dev.goldpan.api.v1alpha1.AccuracyResult;
import dev.goldpan.api.v1alpha1.AccuracySummary;
import dev.goldpan.api.v1alpha1.ArtifactsStatus;
import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import dev.goldpan.api.v1alpha1.Phase;
import dev.goldpan.api.v1alpha1.ResultStatus;
import dev.goldpan.api.v1alpha1.StageState;
import dev.goldpan.api.v1alpha1.StageStatus;
import dev.goldpan.api.v1alpha1.StagesStatus;
import dev.goldpan.operator.Labels;
import dev.goldpan.operator.Stage;
import dev.goldpan.operator.dependent.WorkerPods;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Rebuilds a DistillationJob's status from what is observed: its stage Jobs and their pods'
 * termination messages (DESIGN §2). Everything but {@code progress}, which belongs to the progress
 * endpoint, is computed here and nowhere else.
 */
public final class StatusAggregator {

  public static final String ACCEPTED = "Accepted";
  public static final String SCORES_READY = "ScoresReady";
  public static final String DISTILLED = "Distilled";
  public static final String EVALUATED = "Evaluated";
  public static final String SUCCEEDED = "Succeeded";
  public static final String FAILED = "Failed";
  public static final String SUSPENDED = "Suspended";

  /** Reason of the Failed condition when spec.activeDeadlineSeconds ran out. */
  public static final String DEADLINE_EXCEEDED = "DeadlineExceeded";

  /** Reason of the Failed condition when the worker refused its input (exit code 2). */
  public static final String INVALID_INPUT = "InvalidInput";

  /** status.reason while Kueue has not admitted the running stage's Job. */
  public static final String QUEUED = "Queued";

  private static final int MAX_MESSAGE = 1024;

  private StatusAggregator() {}

  /**
   * The status {@code job} should have, given its stage Jobs and their pods at {@code now}; {@code
   * workerImage} is null when neither the spec nor the operator names one.
   */
  public static DistillationJobStatus aggregate(
      DistillationJob job, List<Job> jobs, List<Pod> pods, String workerImage, Instant now) {
    DistillationJobStatus previous =
        job.getStatus() != null ? job.getStatus() : new DistillationJobStatus();
    Map<Stage, StageObservation> observed = new EnumMap<>(Stage.class);
    for (Stage stage : Stage.values()) {
      String name = stage.jobName(job);
      Job stageJob =
          jobs.stream()
              .filter(j -> name.equals(j.getMetadata().getName()))
              .findFirst()
              .orElse(null);
      List<TerminationMessage> ends =
          pods.stream()
              .filter(p -> isPodOf(p, stage))
              .map(TerminationMessage::of)
              .flatMap(Optional::stream)
              .sorted(Comparator.comparing(t -> Objects.toString(t.finishedAt(), "")))
              .toList();
      List<Pod> waiting = pods.stream().filter(p -> isPodOf(p, stage) && isPending(p)).toList();
      observed.put(stage, new StageObservation(stage, stageJob, ends, waiting));
    }

    DistillationJobStatus status = new DistillationJobStatus();
    status.setObservedGeneration(job.getMetadata().getGeneration());
    status.setStartTime(startTime(previous, observed.values()));

    boolean deadline =
        deadlineExceeded(job)
            || (job.getSpec().getActiveDeadlineSeconds() != null
                && status.getStartTime() != null
                && !finishedSuccessfully(job, observed)
                && now.isAfter(
                    parse(status.getStartTime())
                        .plusSeconds(job.getSpec().getActiveDeadlineSeconds())));

    StagesStatus stages = new StagesStatus();
    Map<Stage, StageStatus> byStage = new EnumMap<>(Stage.class);
    for (StageObservation observation : observed.values()) {
      StageStatus stageStatus = stageStatus(job, observation, deadline);
      if (stageStatus.getState() == StageState.SUCCEEDED && stageStatus.getMessage() == null) {
        // The pods are gone (garbage-collected); their message is not.
        stageStatus.setMessage(previousStage(previous, observation.stage()));
      }
      byStage.put(observation.stage(), stageStatus);
    }
    stages.setScore(byStage.get(Stage.SCORE));
    stages.setDistill(byStage.get(Stage.DISTILL));
    stages.setEvaluate(byStage.get(Stage.EVALUATE));
    status.setStages(stages);

    Failure failure = failure(job, observed, byStage, deadline);
    boolean succeeded = byStage.get(Stage.EVALUATE).getState() == StageState.SUCCEEDED;
    boolean suspended =
        !succeeded && failure == null && Boolean.TRUE.equals(job.getSpec().getSuspend());
    status.setPhase(phase(byStage, succeeded, failure, suspended));
    if (succeeded || failure != null) {
      status.setCompletionTime(
          previous.getCompletionTime() != null
              ? previous.getCompletionTime()
              : succeeded ? byStage.get(Stage.EVALUATE).getCompletionTime() : now.toString());
    }
    Stage current = currentStage(byStage, failure);
    status.setStage(current == null ? null : current.id());
    status.setReason(reason(current, observed, byStage, failure));
    status.setResult(result(job, observed, previous.getResult()));
    status.setConditions(
        conditions(job, previous, byStage, succeeded, failure, suspended, workerImage, now));
    return status;
  }

  /** Whether the job has failed: a stage failed or its deadline passed (sticky). */
  public static boolean failed(DistillationJob job) {
    return condition(job.getStatus(), FAILED).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  /** Whether the job's Failed condition says its deadline passed. */
  public static boolean deadlineExceeded(DistillationJob job) {
    return deadlineExceeded(job.getStatus());
  }

  /** Whether {@code status}'s Failed condition says the deadline passed. */
  public static boolean deadlineExceeded(DistillationJobStatus status) {
    return condition(status, FAILED)
        .map(c -> "True".equals(c.getStatus()) && DEADLINE_EXCEEDED.equals(c.getReason()))
        .orElse(false);
  }

  /** Succeeded or Failed. */
  public static boolean finished(DistillationJobStatus status) {
    return status != null
        && (status.getPhase() == Phase.SUCCEEDED || status.getPhase() == Phase.FAILED);
  }

  /** The condition of {@code type} in {@code status}. */
  public static Optional<Condition> condition(DistillationJobStatus status, String type) {
    if (status == null || status.getConditions() == null) {
      return Optional.empty();
    }
    return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }

  /**
   * What was seen of one stage: its Job (null before it exists), its pods' ends, and its pods that
   * have not started yet.
   */
  private record StageObservation(
      Stage stage, Job job, List<TerminationMessage> ends, List<Pod> waiting) {

    /** The newest successful end of each completion index. */
    Map<Integer, TerminationMessage> successes() {
      Map<Integer, TerminationMessage> byIndex = new TreeMap<>();
      for (TerminationMessage end : ends) {
        if (end.succeeded()) {
          byIndex.put(end.completionIndex(), end);
        }
      }
      return byIndex;
    }

    Optional<TerminationMessage> lastFailure() {
      TerminationMessage last = null;
      for (TerminationMessage end : ends) {
        if (!end.succeeded()) {
          last = end;
        }
      }
      return Optional.ofNullable(last);
    }
  }

  private record Failure(Stage stage, String reason, String message) {}

  /** Why a pod waits: Kubernetes' reason (Unschedulable, ImagePullBackOff, ...) and a sentence. */
  record Waiting(String reason, String message) {}

  private static boolean isPodOf(Pod pod, Stage stage) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels != null && stage.id().equals(labels.get(Labels.STAGE));
  }

  private static boolean finishedSuccessfully(
      DistillationJob job, Map<Stage, StageObservation> observed) {
    Job evaluate = observed.get(Stage.EVALUATE).job();
    return evaluate != null && JobStates.succeeded(evaluate);
  }

  private static StageStatus stageStatus(
      DistillationJob job, StageObservation observation, boolean deadline) {
    StageStatus status = new StageStatus();
    Stage stage = observation.stage();
    if (stage.skipped(job.getSpec())) {
      status.setState(StageState.SKIPPED);
      status.setMessage("precomputed scores from spec.selection.static.scoresSource");
      return status;
    }
    Job stageJob = observation.job();
    if (stageJob == null) {
      status.setState(StageState.PENDING);
      return status;
    }
    status.setJob(stageJob.getMetadata().getName());
    var jobStatus = stageJob.getStatus();
    if (jobStatus != null) {
      int attempts =
          orZero(jobStatus.getActive())
              + orZero(jobStatus.getSucceeded())
              + orZero(jobStatus.getFailed());
      status.setAttempts(Math.max(attempts, observation.ends().size()));
      status.setStartTime(jobStatus.getStartTime());
      status.setCompletionTime(jobStatus.getCompletionTime());
    }
    if (JobStates.succeeded(stageJob)) {
      status.setState(StageState.SUCCEEDED);
      status.setMessage(successMessage(observation));
    } else if (JobStates.failed(stageJob)) {
      status.setState(StageState.FAILED);
      JobCondition failedCondition = JobStates.condition(stageJob, "Failed").orElseThrow();
      if (status.getCompletionTime() == null) {
        status.setCompletionTime(failedCondition.getLastTransitionTime());
      }
      status.setMessage(
          truncate(
              observation
                  .lastFailure()
                  .map(TerminationMessage::message)
                  .orElse(jobFailure(failedCondition))));
    } else if (deadline) {
      status.setState(StageState.FAILED);
      status.setMessage("spec.activeDeadlineSeconds ran out while the stage ran");
    } else if (Boolean.TRUE.equals(stageJob.getSpec().getSuspend())) {
      if (queuedByKueue(job, stageJob)) {
        status.setState(StageState.QUEUED);
        status.setMessage(
            "Job "
                + stageJob.getMetadata().getName()
                + " waits for Kueue to admit it from LocalQueue "
                + stageJob.getMetadata().getLabels().get(Labels.KUEUE_QUEUE));
      } else {
        status.setState(StageState.SUSPENDED);
      }
    } else {
      status.setState(StageState.RUNNING);
      waiting(observation).ifPresent(why -> status.setMessage(truncate(why.message())));
    }
    return status;
  }

  /** Container states in which a pod waits for something that will not come by itself. */
  private static final Set<String> STUCK_CONTAINER_REASONS =
      Set.of(
          "ErrImagePull",
          "ImagePullBackOff",
          "InvalidImageName",
          "ErrImageNeverPull",
          "CreateContainerConfigError",
          "CreateContainerError");

  private static boolean isPending(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() == null
        && pod.getStatus() != null
        && "Pending".equals(pod.getStatus().getPhase());
  }

  /**
   * Whether a suspended stage Job waits for Kueue: it names a LocalQueue and neither the user nor
   * the deadline suspended it (Kueue creates such Jobs suspended and un-suspends them on
   * admission).
   */
  private static boolean queuedByKueue(DistillationJob job, Job stageJob) {
    Map<String, String> labels = stageJob.getMetadata().getLabels();
    return labels != null
        && labels.containsKey(Labels.KUEUE_QUEUE)
        && !Boolean.TRUE.equals(job.getSpec().getSuspend())
        && !deadlineExceeded(job);
  }

  /** The first reason why one of the stage's pods does not run, if Kubernetes gives one. */
  private static Optional<Waiting> waiting(StageObservation observation) {
    return observation.waiting().stream()
        .map(StatusAggregator::whyNotRunning)
        .flatMap(Optional::stream)
        .findFirst();
  }

  /**
   * Why a pending pod does not run, when Kubernetes says so: the scheduler found no node for it
   * (e.g. not enough GPUs), or its container cannot be created (e.g. its image cannot be pulled).
   */
  static Optional<Waiting> whyNotRunning(Pod pod) {
    var status = pod.getStatus();
    String name = pod.getMetadata().getName();
    if (status.getConditions() != null) {
      for (PodCondition condition : status.getConditions()) {
        if ("PodScheduled".equals(condition.getType())
            && "False".equals(condition.getStatus())
            && "Unschedulable".equals(condition.getReason())) {
          return Optional.of(
              new Waiting(
                  condition.getReason(),
                  "pod "
                      + name
                      + " cannot be scheduled: "
                      + Objects.toString(condition.getMessage(), "")));
        }
      }
    }
    if (status.getContainerStatuses() != null) {
      for (ContainerStatus container : status.getContainerStatuses()) {
        var waiting = container.getState() == null ? null : container.getState().getWaiting();
        if (waiting != null && STUCK_CONTAINER_REASONS.contains(waiting.getReason())) {
          return Optional.of(
              new Waiting(
                  waiting.getReason(),
                  "pod "
                      + name
                      + " cannot start: "
                      + waiting.getReason()
                      + (waiting.getMessage() == null ? "" : ": " + waiting.getMessage())));
        }
      }
    }
    return Optional.empty();
  }

  /** The Job's own account of its failure, when no pod left one. */
  private static String jobFailure(JobCondition failed) {
    String reason = failed.getReason() == null ? "" : failed.getReason();
    String message = failed.getMessage() == null ? "" : failed.getMessage();
    if (reason.isEmpty() && message.isEmpty()) {
      return "the Job failed without saying why";
    }
    return reason.isEmpty() ? message : message.isEmpty() ? reason : reason + ": " + message;
  }

  private static String previousStage(DistillationJobStatus previous, Stage stage) {
    StageStatus before = stage.in(previous.getStages());
    return before == null ? null : before.getMessage();
  }

  private static String successMessage(StageObservation observation) {
    Map<Integer, TerminationMessage> successes = observation.successes();
    if (successes.isEmpty()) {
      return null;
    }
    if (successes.size() == 1) {
      return truncate(successes.values().iterator().next().message());
    }
    List<String> parts = new ArrayList<>();
    successes.forEach((index, end) -> parts.add("[" + index + "] " + end.message()));
    return truncate(String.join("; ", parts));
  }

  private static Failure failure(
      DistillationJob job,
      Map<Stage, StageObservation> observed,
      Map<Stage, StageStatus> byStage,
      boolean deadline) {
    for (Stage stage : Stage.values()) {
      Job stageJob = observed.get(stage).job();
      if (stageJob == null || !JobStates.failed(stageJob)) {
        continue;
      }
      Optional<TerminationMessage> last = observed.get(stage).lastFailure();
      String jobReason = JobStates.condition(stageJob, "Failed").orElseThrow().getReason();
      String reason =
          last.isPresent() && last.get().exitCode() == WorkerPods.INVALID_INPUT_EXIT_CODE
              ? INVALID_INPUT
              : jobReason != null && !jobReason.isBlank() ? jobReason : "StageFailed";
      return new Failure(
          stage,
          reason,
          truncate("the " + stage.id() + " stage failed: " + byStage.get(stage).getMessage()));
    }
    if (deadline) {
      Condition previous = condition(job.getStatus(), FAILED).orElse(null);
      if (previous != null && DEADLINE_EXCEEDED.equals(previous.getReason())) {
        return new Failure(null, DEADLINE_EXCEEDED, previous.getMessage());
      }
      return new Failure(
          null,
          DEADLINE_EXCEEDED,
          "the job ran longer than spec.activeDeadlineSeconds = "
              + job.getSpec().getActiveDeadlineSeconds()
              + " s");
    }
    return null;
  }

  /** The failed stage, else the last stage whose Job exists; null before the first one. */
  private static Stage currentStage(Map<Stage, StageStatus> byStage, Failure failure) {
    if (failure != null && failure.stage() != null) {
      return failure.stage();
    }
    Stage current = null;
    for (Stage stage : Stage.values()) {
      if (byStage.get(stage).getJob() != null) {
        current = stage;
      }
    }
    return current;
  }

  /**
   * status.reason: the Failed condition's reason, Queued while Kueue holds the current stage's Job,
   * or Kubernetes' reason why its pods do not run; null while the job runs or after it succeeded.
   */
  private static String reason(
      Stage current,
      Map<Stage, StageObservation> observed,
      Map<Stage, StageStatus> byStage,
      Failure failure) {
    if (failure != null) {
      return failure.reason();
    }
    if (current == null) {
      return null;
    }
    return switch (byStage.get(current).getState()) {
      case QUEUED -> QUEUED;
      case RUNNING -> waiting(observed.get(current)).map(Waiting::reason).orElse(null);
      default -> null;
    };
  }

  private static Phase phase(
      Map<Stage, StageStatus> byStage, boolean succeeded, Failure failure, boolean suspended) {
    if (failure != null) {
      return Phase.FAILED;
    }
    if (succeeded) {
      return Phase.SUCCEEDED;
    }
    if (suspended) {
      return Phase.SUSPENDED;
    }
    if (byStage.get(Stage.EVALUATE).getJob() != null) {
      return Phase.EVALUATING;
    }
    if (byStage.get(Stage.DISTILL).getJob() != null) {
      return Phase.DISTILLING;
    }
    if (byStage.get(Stage.SCORE).getJob() != null) {
      return Phase.SCORING;
    }
    return Phase.PENDING;
  }

  private static String startTime(
      DistillationJobStatus previous, Iterable<StageObservation> observations) {
    if (previous.getStartTime() != null) {
      return previous.getStartTime();
    }
    String earliest = null;
    for (StageObservation observation : observations) {
      Job stageJob = observation.job();
      if (stageJob == null) {
        continue;
      }
      String started =
          stageJob.getStatus() != null && stageJob.getStatus().getStartTime() != null
              ? stageJob.getStatus().getStartTime()
              : stageJob.getMetadata().getCreationTimestamp();
      if (started != null && (earliest == null || parse(started).isBefore(parse(earliest)))) {
        earliest = started;
      }
    }
    return earliest;
  }

  private static ResultStatus result(
      DistillationJob job, Map<Stage, StageObservation> observed, ResultStatus previous) {
    ResultStatus result = new ResultStatus();
    String location = job.getSpec().getOutput().getLocation();
    result.setOutputLocation(location);
    ArtifactsStatus artifacts = new ArtifactsStatus();

    StageObservation score = observed.get(Stage.SCORE);
    if (score.job() != null && JobStates.succeeded(score.job())) {
      artifacts.setScores(join(location, "scores.npy"));
    }

    StageObservation distill = observed.get(Stage.DISTILL);
    if (distill.job() != null && JobStates.succeeded(distill.job())) {
      artifacts.setSelection(join(location, "selection.json"));
      artifacts.setSynthetic(join(location, "synthetic.npz"));
      artifacts.setPreview(join(location, "synthetic.png"));
      Map<Integer, TerminationMessage> shards = distill.successes();
      boolean allShardsSeen = shards.size() >= Stage.DISTILL.parallelism(job.getSpec());
      boolean previouslyKnown = previous != null && previous.getSyntheticImages() != null;
      if (allShardsSeen || (!shards.isEmpty() && !previouslyKnown)) {
        int images = 0;
        long kept = 0;
        for (TerminationMessage shard : shards.values()) {
          JsonNode summary = shard.summary();
          if (summary != null) {
            images += summary.path("syntheticImages").asInt();
            kept = Math.max(kept, summary.path("realSamplesKept").asLong());
          }
        }
        result.setSyntheticImages(images);
        result.setRealSamplesKept(kept);
      } else if (previouslyKnown) {
        // Some shards' pods are gone: what was counted when all were there stands.
        result.setSyntheticImages(previous.getSyntheticImages());
        result.setRealSamplesKept(previous.getRealSamplesKept());
      }
    }

    StageObservation evaluate = observed.get(Stage.EVALUATE);
    if (evaluate.job() != null && JobStates.succeeded(evaluate.job())) {
      artifacts.setReport(join(location, "report.html"));
      JsonNode summary =
          evaluate.successes().values().stream()
              .map(TerminationMessage::summary)
              .filter(Objects::nonNull)
              .findFirst()
              .orElse(null);
      if (summary != null && summary.has("accuracyMean")) {
        AccuracyResult accuracy = new AccuracyResult();
        accuracy.setMean(summary.path("accuracyMean").asDouble());
        accuracy.setStd(summary.path("accuracyStd").asDouble());
        accuracy.setModels(summary.path("models").asInt());
        result.setAccuracy(accuracy);
        Map<String, AccuracySummary> baselines = new LinkedHashMap<>();
        summary
            .path("baselines")
            .fields()
            .forEachRemaining(
                entry -> {
                  AccuracySummary baseline = new AccuracySummary();
                  baseline.setMean(entry.getValue().path("mean").asDouble());
                  baseline.setStd(entry.getValue().path("std").asDouble());
                  baselines.put(entry.getKey(), baseline);
                });
        result.setBaselines(baselines.isEmpty() ? null : baselines);
      } else if (previous != null) {
        result.setAccuracy(previous.getAccuracy());
        result.setBaselines(previous.getBaselines());
      }
    }
    boolean anyArtifact =
        artifacts.getScores() != null
            || artifacts.getSynthetic() != null
            || artifacts.getReport() != null;
    result.setArtifacts(anyArtifact ? artifacts : null);
    return result;
  }

  private static List<Condition> conditions(
      DistillationJob job,
      DistillationJobStatus previous,
      Map<Stage, StageStatus> byStage,
      boolean succeeded,
      Failure failure,
      boolean suspended,
      String workerImage,
      Instant now) {
    List<Condition> conditions = new ArrayList<>();
    Long generation = job.getMetadata().getGeneration();
    if (workerImage == null) {
      conditions.add(
          condition(
              previous,
              ACCEPTED,
              false,
              "NoWorkerImage",
              "set spec.worker.image, or the operator's worker image (Helm value workerImage)",
              generation,
              now));
    } else {
      conditions.add(
          condition(
              previous,
              ACCEPTED,
              true,
              "Valid",
              "the spec passed validation; stages run as worker image " + workerImage,
              generation,
              now));
    }
    conditions.add(
        stageCondition(previous, SCORES_READY, byStage.get(Stage.SCORE), generation, now));
    conditions.add(
        stageCondition(previous, DISTILLED, byStage.get(Stage.DISTILL), generation, now));
    conditions.add(
        stageCondition(previous, EVALUATED, byStage.get(Stage.EVALUATE), generation, now));
    conditions.add(
        succeeded
            ? condition(
                previous,
                SUCCEEDED,
                true,
                "Completed",
                "the synthetic set is distilled and evaluated",
                generation,
                now)
            : condition(
                previous,
                SUCCEEDED,
                false,
                failure != null ? "Failed" : "InProgress",
                failure != null ? failure.message() : "the pipeline has not finished",
                generation,
                now));
    conditions.add(
        failure != null
            ? condition(
                previous, FAILED, true, failure.reason(), failure.message(), generation, now)
            : condition(
                previous, FAILED, false, "NoFailure", "no stage has failed", generation, now));
    conditions.add(
        suspended
            ? condition(
                previous,
                SUSPENDED,
                true,
                "SuspendedBySpec",
                "spec.suspend is true; the running stage's pods are stopped",
                generation,
                now)
            : condition(previous, SUSPENDED, false, "NotSuspended", "", generation, now));
    return conditions;
  }

  private static Condition stageCondition(
      DistillationJobStatus previous,
      String type,
      StageStatus stage,
      Long generation,
      Instant now) {
    return switch (stage.getState()) {
      case SUCCEEDED ->
          condition(
              previous,
              type,
              true,
              "StageSucceeded",
              Objects.toString(stage.getMessage(), ""),
              generation,
              now);
      case SKIPPED ->
          condition(previous, type, true, "StageSkipped", stage.getMessage(), generation, now);
      case FAILED ->
          condition(
              previous,
              type,
              false,
              "StageFailed",
              Objects.toString(stage.getMessage(), ""),
              generation,
              now);
      case RUNNING ->
          condition(
              previous,
              type,
              false,
              "StageRunning",
              "Job " + stage.getJob() + " is running",
              generation,
              now);
      case QUEUED ->
          condition(previous, type, false, "StageQueued", stage.getMessage(), generation, now);
      case SUSPENDED ->
          condition(
              previous,
              type,
              false,
              "StageSuspended",
              "Job " + stage.getJob() + " is suspended",
              generation,
              now);
      case PENDING ->
          condition(
              previous,
              type,
              false,
              "StagePending",
              "waiting for the previous stage",
              generation,
              now);
    };
  }

  /** A condition that keeps its lastTransitionTime while its status stays the same. */
  private static Condition condition(
      DistillationJobStatus previous,
      String type,
      boolean value,
      String reason,
      String message,
      Long generation,
      Instant now) {
    String status = value ? "True" : "False";
    String transition =
        condition(previous, type)
            .filter(c -> status.equals(c.getStatus()) && c.getLastTransitionTime() != null)
            .map(Condition::getLastTransitionTime)
            .orElse(now.toString());
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withObservedGeneration(generation)
        .withLastTransitionTime(transition)
        .build();
  }

  private static String join(String location, String file) {
    return location.endsWith("/") ? location + file : location + "/" + file;
  }

  private static int orZero(Integer value) {
    return value == null ? 0 : value;
  }

  private static Instant parse(String time) {
    try {
      return Instant.parse(time);
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }

  private static String truncate(String message) {
    if (message == null || message.length() <= MAX_MESSAGE) {
      return message;
    }
    return message.substring(0, MAX_MESSAGE - 1) + "…";
  }
}
