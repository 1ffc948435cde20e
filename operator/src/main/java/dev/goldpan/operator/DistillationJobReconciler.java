package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import dev.goldpan.operator.dependent.DistillJobDependentResource;
import dev.goldpan.operator.dependent.EvaluateJobDependentResource;
import dev.goldpan.operator.dependent.ProgressTokenSecretDependentResource;
import dev.goldpan.operator.dependent.ScoreJobDependentResource;
import dev.goldpan.operator.dependent.StagePrerequisitesCondition;
import dev.goldpan.operator.dependent.TaskConfigMapDependentResource;
import dev.goldpan.operator.dependent.WorkerPods;
import dev.goldpan.operator.status.StatusAggregator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
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
 * Turns a DistillationJob into its task ConfigMap, progress-token Secret and one Job per stage (the
 * workflow below), then rebuilds its status from what those Jobs and their pods report.
 */
@Workflow(
    dependents = {
      @Dependent(
          name = DistillationJobReconciler.TASK,
          type = TaskConfigMapDependentResource.class),
      @Dependent(
          name = DistillationJobReconciler.TOKEN,
          type = ProgressTokenSecretDependentResource.class),
      @Dependent(
          name = DistillationJobReconciler.SCORE,
          type = ScoreJobDependentResource.class,
          dependsOn = {DistillationJobReconciler.TASK, DistillationJobReconciler.TOKEN},
          reconcilePrecondition = StagePrerequisitesCondition.class),
      @Dependent(
          name = DistillationJobReconciler.DISTILL,
          type = DistillJobDependentResource.class,
          dependsOn = {DistillationJobReconciler.TASK, DistillationJobReconciler.TOKEN},
          reconcilePrecondition = StagePrerequisitesCondition.class,
          useEventSourceWithName = DistillationJobReconciler.SCORE),
      @Dependent(
          name = DistillationJobReconciler.EVALUATE,
          type = EvaluateJobDependentResource.class,
          dependsOn = {DistillationJobReconciler.TASK, DistillationJobReconciler.TOKEN},
          reconcilePrecondition = StagePrerequisitesCondition.class,
          useEventSourceWithName = DistillationJobReconciler.SCORE)
    })
@ControllerConfiguration(name = DistillationJobReconciler.NAME)
public class DistillationJobReconciler implements Reconciler<DistillationJob> {

  public static final String NAME = "distillationjob";
  static final String TASK = "task";
  static final String TOKEN = "progress-token";
  static final String SCORE = "score";
  static final String DISTILL = "distill";
  static final String EVALUATE = "evaluate";
  static final String PODS = "pods";

  private static final Logger LOG = Logger.getLogger(DistillationJobReconciler.class);
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  @Inject OperatorConfig config;
  @Inject StageTransitions transitions;
  @Inject KueueWorkloads kueue;
  @Inject Clock clock;

  @Override
  public List<EventSource<?, DistillationJob>> prepareEventSources(
      EventSourceContext<DistillationJob> context) {
    var pods =
        InformerEventSourceConfiguration.from(Pod.class, DistillationJob.class)
            .withName(PODS)
            .withLabelSelector(Labels.MANAGED_BY + "=" + Labels.OPERATOR + "," + Labels.JOB)
            .withSecondaryToPrimaryMapper(
                pod ->
                    Set.of(
                        new ResourceID(
                            pod.getMetadata().getLabels().get(Labels.JOB),
                            pod.getMetadata().getNamespace())))
            .build();
    return List.of(new InformerEventSource<>(pods, context));
  }

  @Override
  public UpdateControl<DistillationJob> reconcile(
      DistillationJob job, Context<DistillationJob> context) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    List<Job> jobs = context.getSecondaryResourcesAsStream(Job.class).toList();
    List<Pod> pods = context.getSecondaryResourcesAsStream(Pod.class).toList();
    DistillationJobStatus status =
        StatusAggregator.aggregate(job, jobs, pods, WorkerPods.image(job, config), now);
    transitions.record(job, job.getStatus(), status);
    boolean stopped =
        Boolean.TRUE.equals(job.getSpec().getSuspend())
            || StatusAggregator.deadlineExceeded(status);
    kueue.follow(job, jobs, stopped, context.getClient());

    Duration next = nextCheck(job, status, now);
    if (next != null && next.isZero()) {
      LOG.infof(
          "deleting %s/%s: ttlSecondsAfterFinished has passed",
          job.getMetadata().getNamespace(), job.getMetadata().getName());
      context.getClient().resource(job).delete();
      return UpdateControl.noUpdate();
    }

    UpdateControl<DistillationJob> control;
    if (sameAsObserved(job.getStatus(), status)) {
      control = UpdateControl.noUpdate();
    } else {
      DistillationJob patch = new DistillationJob();
      patch.setMetadata(
          new ObjectMetaBuilder()
              .withName(job.getMetadata().getName())
              .withNamespace(job.getMetadata().getNamespace())
              .build());
      patch.setStatus(status);
      control = UpdateControl.patchStatus(patch);
    }
    if (deadlineJustPassed(job, status)) {
      // The workflow reads the deadline from the status; run it again to stop the stage now.
      return control.rescheduleAfter(Duration.ofMillis(100));
    }
    return next == null ? control : control.rescheduleAfter(next);
  }

  @Override
  public ErrorStatusUpdateControl<DistillationJob> updateErrorStatus(
      DistillationJob job, Context<DistillationJob> context, Exception e) {
    transitions.reconcileError(job, e);
    return ErrorStatusUpdateControl.defaultErrorProcessing();
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
