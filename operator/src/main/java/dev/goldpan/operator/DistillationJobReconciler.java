package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import dev.goldpan.operator.dependent.DistillJobDependentResource;
import dev.goldpan.operator.dependent.EvaluateJobDependentResource;
import dev.goldpan.operator.dependent.ScoreJobDependentResource;
import dev.goldpan.operator.dependent.StagePrerequisitesCondition;
import dev.goldpan.operator.dependent.TaskConfigMapDependentResource;
import dev.goldpan.operator.dependent.WorkerPods;
import dev.goldpan.operator.status.StatusAggregator;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import jakarta.inject.Inject;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Turns a DistillationJob into its task ConfigMap and one Job per stage (the workflow below), then
 * rebuilds its status from what those Jobs and their pods report.
 */
@Workflow(
    dependents = {
      @Dependent(
          name = DistillationJobReconciler.TASK,
          type = TaskConfigMapDependentResource.class),
      @Dependent(
          name = DistillationJobReconciler.SCORE,
          type = ScoreJobDependentResource.class,
          dependsOn = DistillationJobReconciler.TASK,
          reconcilePrecondition = StagePrerequisitesCondition.class),
      @Dependent(
          name = DistillationJobReconciler.DISTILL,
          type = DistillJobDependentResource.class,
          dependsOn = DistillationJobReconciler.TASK,
          reconcilePrecondition = StagePrerequisitesCondition.class,
          useEventSourceWithName = DistillationJobReconciler.SCORE),
      @Dependent(
          name = DistillationJobReconciler.EVALUATE,
          type = EvaluateJobDependentResource.class,
          dependsOn = DistillationJobReconciler.TASK,
          reconcilePrecondition = StagePrerequisitesCondition.class,
          useEventSourceWithName = DistillationJobReconciler.SCORE)
    })
@ControllerConfiguration(
    name = DistillationJobReconciler.NAME,
    informer = @Informer(itemStore = TrimmedStores.DistillationJobs.class))
public class DistillationJobReconciler implements Reconciler<DistillationJob> {

  public static final String NAME = "distillationjob";
  static final String TASK = "task";
  static final String SCORE = "score";
  static final String DISTILL = "distill";
  static final String EVALUATE = "evaluate";
  static final String PODS = "pods";

  private static final Logger LOG = Logger.getLogger(DistillationJobReconciler.class);
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final Duration CONFLICT_RETRY = Duration.ofSeconds(1);
  private static final Duration VOLUME_RECHECK = Duration.ofSeconds(15);

  @Inject OperatorConfig config;
  @Inject StageTransitions transitions;
  @Inject KueueWorkloads kueue;
  @Inject Clock clock;
  @Inject OperatorCaches caches;

  @Override
  public List<EventSource<?, DistillationJob>> prepareEventSources(
      EventSourceContext<DistillationJob> context) {
    var pods =
        InformerEventSourceConfiguration.from(Pod.class, DistillationJob.class)
            .withName(PODS)
            .withLabelSelector(Labels.SELECTOR + "," + Labels.JOB)
            .withItemStore(new TrimmedStores.Pods())
            .withSecondaryToPrimaryMapper(
                pod ->
                    Set.of(
                        new ResourceID(
                            pod.getMetadata().getLabels().get(Labels.JOB),
                            pod.getMetadata().getNamespace())))
            .build();
    InformerEventSource<Pod, DistillationJob> podSource = new InformerEventSource<>(pods, context);
    caches.use(context.getPrimaryCache(), podSource);
    return List.of(podSource);
  }

  @Override
  public UpdateControl<DistillationJob> reconcile(
      DistillationJob job, Context<DistillationJob> context) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    DistillationJobStatus status = observe(job, context, now);
    boolean stopped =
        Boolean.TRUE.equals(job.getSpec().getSuspend())
            || StatusAggregator.deadlineExceeded(status);
    kueue.follow(
        job,
        Ownership.ownedBy(context.getSecondaryResourcesAsStream(Job.class).toList(), job),
        stopped,
        context.getClient());

    Duration next = nextCheck(job, status, now);
    if (next != null && next.isZero()) {
      LOG.infof(
          "deleting %s/%s: ttlSecondsAfterFinished has passed",
          job.getMetadata().getNamespace(), job.getMetadata().getName());
      // Only this version of this incarnation: a newer version or a job created since under the
      // same name is looked at again first.
      try {
        context.getClient().resource(job).lockResourceVersion().delete();
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
          throw e;
        }
        return UpdateControl.<DistillationJob>noUpdate().rescheduleAfter(CONFLICT_RETRY);
      }
      return UpdateControl.noUpdate();
    }

    UpdateControl<DistillationJob> control = UpdateControl.noUpdate();
    if (!patchStatus(job, status, context)) {
      // Another writer was first; look again once the cache has its version.
      return control.rescheduleAfter(CONFLICT_RETRY);
    }
    if (deadlineJustPassed(job, status)) {
      // The workflow reads the deadline from the status; run it again to stop the stage now.
      return control.rescheduleAfter(Duration.ofMillis(100));
    }
    if (waitsForVolumes(context)) {
      // The kubelet's Events about a missing volume change no watched object: look again.
      next =
          next == null
              ? VOLUME_RECHECK
              : next.compareTo(VOLUME_RECHECK) < 0 ? next : VOLUME_RECHECK;
    }
    return next == null ? control : control.rescheduleAfter(next);
  }

  /**
   * A child could not be created or updated (the workflow threw; {@code reconcile} is not called):
   * the status says which and why, in its Reconciled condition, and an Event says it once. JOSDK
   * then retries.
   */
  @Override
  public ErrorStatusUpdateControl<DistillationJob> updateErrorStatus(
      DistillationJob job, Context<DistillationJob> context, Exception e) {
    transitions.reconcileError(job, e);
    ChildFailure failure = ChildFailure.of(job, e);
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    try {
      DistillationJobStatus status =
          StatusAggregator.reconcileFailed(
              job, observe(job, context, now), failure.reason(), failure.message(), now);
      patchStatus(job, status, context);
    } catch (RuntimeException statusFailure) {
      LOG.warnf(
          "could not write the failure of %s/%s to its status: %s",
          job.getMetadata().getNamespace(),
          job.getMetadata().getName(),
          statusFailure.getMessage());
    }
    return ErrorStatusUpdateControl.defaultErrorProcessing();
  }

  /**
   * The status that what this incarnation of the job owns says it has: its stage Jobs (by owner
   * UID), their pods, and the Events of pods that wait for their volumes.
   */
  private DistillationJobStatus observe(
      DistillationJob job, Context<DistillationJob> context, Instant now) {
    List<Job> jobs =
        Ownership.ownedBy(context.getSecondaryResourcesAsStream(Job.class).toList(), job);
    List<Pod> pods =
        Ownership.podsOf(context.getSecondaryResourcesAsStream(Pod.class).toList(), jobs);
    List<Event> podEvents =
        pods.stream()
            .filter(StatusAggregator::waitsForVolumes)
            .flatMap(pod -> events(context, pod).stream())
            .toList();
    DistillationJobStatus status =
        StatusAggregator.aggregate(job, jobs, pods, podEvents, WorkerPods.image(job, config), now);
    return WorkerPods.imageRefusal(job, config)
        .map(refusal -> StatusAggregator.imageNotAllowed(job, status, refusal, now))
        .orElse(status);
  }

  /** The Events about {@code pod}, as the kubelet records why it cannot start it. */
  private static List<Event> events(Context<DistillationJob> context, Pod pod) {
    try {
      return context
          .getClient()
          .v1()
          .events()
          .inNamespace(pod.getMetadata().getNamespace())
          .withField("involvedObject.uid", pod.getMetadata().getUid())
          .list()
          .getItems();
    } catch (KubernetesClientException e) {
      LOG.debugf("cannot list the events of pod %s: %s", pod.getMetadata().getName(), e);
      return List.of();
    }
  }

  private static boolean waitsForVolumes(Context<DistillationJob> context) {
    return context
        .getSecondaryResourcesAsStream(Pod.class)
        .anyMatch(StatusAggregator::waitsForVolumes);
  }

  /**
   * Writes {@code status} unless it is what the job has, on the version of the job it was computed
   * from (a conflict means another write came first: false, nothing written), then records the
   * Events and metrics of its transitions. As "before" is the status the API server held, each
   * transition is recorded once, also across operator restarts.
   */
  private boolean patchStatus(
      DistillationJob job, DistillationJobStatus status, Context<DistillationJob> context) {
    if (sameAsObserved(job.getStatus(), status)) {
      return true;
    }
    DistillationJob patch = new DistillationJob();
    patch.setMetadata(
        new ObjectMetaBuilder()
            .withName(job.getMetadata().getName())
            .withNamespace(job.getMetadata().getNamespace())
            .withResourceVersion(job.getMetadata().getResourceVersion())
            .build());
    patch.setStatus(status);
    try {
      context
          .getClient()
          .resource(patch)
          .subresource("status")
          .patch(
              new PatchContext.Builder()
                  .withPatchType(PatchType.SERVER_SIDE_APPLY)
                  .withFieldManager(NAME)
                  .withForce(true)
                  .build());
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw e;
    }
    transitions.record(job, job.getStatus(), status);
    return true;
  }

  /**
   * When to look again without an event: at the deadline, or when the TTL of a finished job runs
   * out (zero: now). Null when nothing is due.
   */
  private static Duration nextCheck(
      DistillationJob job, DistillationJobStatus status, Instant now) {
    if (StatusAggregator.finished(status)) {
      Integer ttl = job.getSpec().getTtlSecondsAfterFinished();
      if (ttl == null || status.getCompletionTime() == null) {
        return null;
      }
      Instant expiry = Instant.parse(status.getCompletionTime()).plusSeconds(ttl);
      return now.isBefore(expiry) ? Duration.between(now, expiry) : Duration.ZERO;
    }
    Long deadline = job.getSpec().getActiveDeadlineSeconds();
    if (deadline == null || status.getStartTime() == null) {
      return null;
    }
    Instant at = Instant.parse(status.getStartTime()).plusSeconds(deadline);
    return now.isBefore(at) ? Duration.between(now, at).plusSeconds(1) : null;
  }

  private static boolean deadlineJustPassed(DistillationJob job, DistillationJobStatus status) {
    return StatusAggregator.deadlineExceeded(status) && !StatusAggregator.deadlineExceeded(job);
  }

  /** Equal apart from progress, which the progress endpoint owns. */
  static boolean sameAsObserved(DistillationJobStatus current, DistillationJobStatus computed) {
    if (current == null) {
      return false;
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> a = SERIALIZATION.convertValue(current, Map.class);
    @SuppressWarnings("unchecked")
    Map<String, Object> b = SERIALIZATION.convertValue(computed, Map.class);
    a.remove("progress");
    b.remove("progress");
    return Objects.equals(a, b);
  }
}
