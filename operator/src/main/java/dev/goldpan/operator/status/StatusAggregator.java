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
import io.fabric8.kubernetes.api.model.Event;
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

  /**
   * Whether the operator could make the job's children (task ConfigMap, stage Jobs) as the spec
   * asks: False, with the API server's reason and message, while creating or updating one fails.
   */
  public static final String RECONCILED = "Reconciled";

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
    return aggregate(job, jobs, pods, List.of(), workerImage, now);
  }

  /**
   * The status {@code job} should have, as {@link #aggregate(DistillationJob, List, List, String,
   * Instant)}, where {@code podEvents} are the Events about pods that wait to start (the kubelet
   * reports a missing volume or Secret only there).
   */
  public static DistillationJobStatus aggregate(
      DistillationJob job,
      List<Job> jobs,
      List<Pod> pods,
      List<Event> podEvents,
      String workerImage,
      Instant now) {
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
      boolean running = pods.stream().anyMatch(p -> isPodOf(p, stage) && isRunning(p));
      observed.put(
          stage,
          new StageObservation(
              stage, stageJob, ends, waiting, running, stage.in(previous.getStages())));
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
      StageStatus stageStatus = stageStatus(job, observation, podEvents, deadline);
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
    boolean gone = observed.values().stream().anyMatch(StageObservation::finishedAndGone);
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
    status.setReason(reason(current, byStage, failure));
    // A finished stage's Job that was deleted takes its result with it; what was read stands.
    status.setResult(
        gone && previous.getResult() != null
            ? previous.getResult()
            : result(job, observed, previous.getResult()));
    status.setConditions(
        conditions(job, previous, byStage, succeeded, failure, suspended, workerImage, now));
    return status;
  }

  /** Reason of the Accepted condition when spec.worker.image is not on the allow-list. */
  public static final String IMAGE_NOT_ALLOWED = "ImageNotAllowed";

  /**
   * {@code status} with its Accepted condition False: spec.worker.image is not on the operator's
   * allow-list ({@code message} says which are), so no stage runs.
   */
  public static DistillationJobStatus imageNotAllowed(
      DistillationJob job, DistillationJobStatus status, String message, Instant now) {
    List<Condition> conditions = new ArrayList<>(status.getConditions());
    conditions.replaceAll(
        c ->
            ACCEPTED.equals(c.getType())
                ? condition(
                    job.getStatus(),
                    ACCEPTED,
                    false,
                    IMAGE_NOT_ALLOWED,
                    message,
                    job.getMetadata().getGeneration(),
                    now)
                : c);
    status.setConditions(conditions);
    return status;
  }

  /**
   * {@code status} with its Reconciled condition False: making or updating a child failed, for
   * {@code reason} (the API server's, e.g. AlreadyExists, Forbidden, Invalid) and {@code message}.
   */
  public static DistillationJobStatus reconcileFailed(
      DistillationJob job,
      DistillationJobStatus status,
      String reason,
      String message,
      Instant now) {
    List<Condition> conditions = new ArrayList<>(status.getConditions());
    conditions.removeIf(c -> RECONCILED.equals(c.getType()));
    conditions.add(
        condition(
            job.getStatus(),
            RECONCILED,
            false,
            reason,
            truncate(message),
            job.getMetadata().getGeneration(),
            now));
    status.setConditions(conditions);
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
   * What was seen of one stage: its Job (null before it exists, or once deleted), its pods' ends,
   * its pods that have not started yet, whether one of its pods runs, and what the status said of
   * the stage before.
   */
  private record StageObservation(
      Stage stage,
      Job job,
      List<TerminationMessage> ends,
      List<Pod> waiting,
      boolean running,
      StageStatus previous) {

    /**
     * The stage had finished (Succeeded or Failed) and its Job is gone: deleted by hand, say. A
     * finished stage stays finished; nothing runs it again.
     */
    boolean finishedAndGone() {
      return job == null
          && previous != null
          && (previous.getState() == StageState.SUCCEEDED
              || previous.getState() == StageState.FAILED);
    }

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
      DistillationJob job, StageObservation observation, List<Event> podEvents, boolean deadline) {
    StageStatus status = new StageStatus();
    Stage stage = observation.stage();
    if (stage.skipped(job.getSpec())) {
      status.setState(StageState.SKIPPED);
      status.setMessage("precomputed scores from spec.selection.static.scoresSource");
      return status;
    }
    if (observation.finishedAndGone()) {
      return observation.previous();
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
      Optional<Waiting> waiting =
          observation.waiting().stream()
              .map(pod -> whyNotRunning(pod, podEvents))
              .flatMap(Optional::stream)
              .findFirst();
      status.setState(
          waiting.isPresent() && !observation.running() ? StageState.WAITING : StageState.RUNNING);
      waiting.ifPresent(
          why -> {
            status.setReason(why.reason());
            status.setMessage(truncate(why.message()));
          });
    }
    return status;
  }

  /**
   * Why a pod does not start: a reason as Kubernetes names it (Unschedulable, ImagePullBackOff,
   * FailedMount...) and a message that names the pod.
   */
  record Waiting(String reason, String message) {}

  /** Container states in which a pod waits for something that will not come by itself. */
  private static final Set<String> STUCK_CONTAINER_REASONS =
      Set.of(
          "ErrImagePull",
          "ImagePullBackOff",
          "InvalidImageName",
          "ErrImageNeverPull",
          "CreateContainerConfigError",
          "CreateContainerError");

  /** Kubelet Event reasons of a pod whose volumes cannot be set up (e.g. a missing Secret). */
  private static final Set<String> STUCK_VOLUME_EVENTS =
      Set.of("FailedMount", "FailedAttachVolume");

  /**
   * Kubelet Event reasons that come only once a pod's volumes are set up: a volume Event older than
   * one of these is one the kubelet got past.
   */
  private static final Set<String> PAST_VOLUMES_EVENTS =
      Set.of("Pulling", "Pulled", "Created", "Started");

  private static boolean isPending(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() == null
        && pod.getStatus() != null
        && "Pending".equals(pod.getStatus().getPhase());
  }

  private static boolean isRunning(Pod pod) {
    return pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase());
  }

  /**
   * Whether {@code pod} waits with a container that is still being created: then its volumes may be
   * what it waits for, which only the kubelet's Events tell.
   */
  public static boolean waitsForVolumes(Pod pod) {
    if (!isPending(pod) || !isScheduled(pod) || readyToStartContainers(pod)) {
      return false;
    }
    List<ContainerStatus> containers = pod.getStatus().getContainerStatuses();
    return containers == null
        || containers.isEmpty()
        || containers.stream()
            .anyMatch(
                c ->
                    c.getState() != null
                        && c.getState().getWaiting() != null
                        && "ContainerCreating".equals(c.getState().getWaiting().getReason()));
  }

  private static boolean isScheduled(Pod pod) {
    return pod.getSpec() != null && pod.getSpec().getNodeName() != null;
  }

  /**
   * Whether the kubelet has made {@code pod}'s sandbox (condition PodReadyToStartContainers), which
   * it does only after the volumes are mounted: a pod still pulling its image waits for the image.
   */
  private static boolean readyToStartContainers(Pod pod) {
    return pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream()
            .anyMatch(
                c ->
                    "PodReadyToStartContainers".equals(c.getType())
                        && "True".equals(c.getStatus()));
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

  /**
   * Why a pending pod does not run, when Kubernetes says so: the scheduler found no node for it
   * (e.g. not enough GPUs), its container cannot be created (e.g. its image cannot be pulled, or a
   * Secret its environment names is missing), or the kubelet cannot mount its volumes (e.g. a
   * missing Secret), as {@code events} about the pod say.
   */
  static Optional<Waiting> whyNotRunning(Pod pod, List<Event> events) {
    var status = pod.getStatus();
    String name = pod.getMetadata().getName();
    if (status.getConditions() != null) {
      for (PodCondition condition : status.getConditions()) {
        if ("PodScheduled".equals(condition.getType())
            && "False".equals(condition.getStatus())
            && "Unschedulable".equals(condition.getReason())) {
          return Optional.of(
              new Waiting(
                  "Unschedulable",
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
    if (waitsForVolumes(pod)) {
      // A refused mount can be momentary: the API server's node authorizer refuses the kubelet the
      // pod's claim until it has seen the new pod ("no relationship found between node ... and
      // this object", a second or two: kubernetes/kubernetes#49880), and the kubelet retries. Once
      // the kubelet has got past the volumes, their older Events say nothing about now.
      List<Event> ofPod =
          events.stream()
              .filter(e -> e.getInvolvedObject() != null)
              .filter(
                  e -> Objects.equals(pod.getMetadata().getUid(), e.getInvolvedObject().getUid()))
              .toList();
      String volumesPast =
          ofPod.stream()
              .filter(e -> PAST_VOLUMES_EVENTS.contains(e.getReason()))
              .map(StatusAggregator::eventTime)
              .max(Comparator.naturalOrder())
              .orElse("");
      return ofPod.stream()
          .filter(e -> STUCK_VOLUME_EVENTS.contains(e.getReason()))
          .filter(e -> eventTime(e).compareTo(volumesPast) > 0)
          .max(Comparator.comparing(StatusAggregator::eventTime))
          .map(
              e ->
                  new Waiting(
                      e.getReason(),
                      "pod " + name + " cannot start: " + e.getReason() + ": " + e.getMessage()));
    }
    return Optional.empty();
  }

  private static String eventTime(Event event) {
    if (event.getLastTimestamp() != null) {
      return event.getLastTimestamp();
    }
    if (event.getEventTime() != null && event.getEventTime().getTime() != null) {
      return event.getEventTime().getTime();
    }
    return Objects.toString(event.getFirstTimestamp(), "");
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
    Condition previous = condition(job.getStatus(), FAILED).orElse(null);
    if (previous != null && "True".equals(previous.getStatus())) {
      // Failed is final: a failed stage whose Job was deleted does not make the job run again.
      return new Failure(null, previous.getReason(), previous.getMessage());
    }
    if (deadline) {
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
  private static String reason(Stage current, Map<Stage, StageStatus> byStage, Failure failure) {
    if (failure != null) {
      return failure.reason();
    }
    if (current == null) {
      return null;
    }
    StageStatus stage = byStage.get(current);
    return switch (stage.getState()) {
      case QUEUED -> QUEUED;
      case WAITING, RUNNING -> stage.getReason();
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
      // With several evaluation pods, the one that merged every part reports the accuracy over all
      // networks; the others report their own networks only.
      JsonNode summary =
          evaluate.successes().values().stream()
              .map(TerminationMessage::summary)
              .filter(Objects::nonNull)
              .filter(candidate -> candidate.has("accuracyMean"))
              .max(Comparator.comparingInt(candidate -> candidate.path("models").asInt()))
              .orElse(null);
      if (summary != null) {
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
        condition(
            previous,
            RECONCILED,
            true,
            "ChildrenReconciled",
            "the task ConfigMap and the stage Jobs are as the spec asks",
            generation,
            now));
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
      case WAITING ->
          condition(
              previous,
              type,
              false,
              Objects.toString(stage.getReason(), "PodsWaiting"),
              Objects.toString(stage.getMessage(), ""),
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
