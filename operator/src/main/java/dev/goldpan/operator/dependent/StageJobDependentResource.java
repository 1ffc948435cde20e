package dev.goldpan.operator.dependent;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.operator.KueueWorkloads;
import dev.goldpan.operator.Labels;
import dev.goldpan.operator.OperatorConfig;
import dev.goldpan.operator.Ownership;
import dev.goldpan.operator.Stage;
import dev.goldpan.operator.status.StatusAggregator;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.GarbageCollected;
import io.javaoperatorsdk.operator.processing.dependent.Matcher;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResource;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.Set;

/**
 * The batch/v1 Job of one stage: Indexed, one completion per ensemble member or class shard,
 * retried up to spec.backoffLimit times, failed at once when the worker exits with code 2.
 *
 * <p>Only {@code spec.suspend} is ever updated: the rest of a Job's pod template is immutable, and
 * a retry resumes from the stage's checkpoint, not from a changed spec (which the CRD forbids).
 */
public abstract class StageJobDependentResource
    extends KubernetesDependentResource<Job, DistillationJob>
    implements GarbageCollected<DistillationJob>,
        io.javaoperatorsdk.operator.processing.dependent.Creator<Job, DistillationJob>,
        io.javaoperatorsdk.operator.processing.dependent.Updater<Job, DistillationJob> {

  private final Stage stage;

  @Inject OperatorConfig config;
  @Inject KueueWorkloads kueue;

  protected StageJobDependentResource(Stage stage) {
    super(Job.class);
    this.stage = stage;
  }

  public Stage stage() {
    return stage;
  }

  @Override
  protected Job desired(DistillationJob job, Context<DistillationJob> context) {
    int completions = stage.parallelism(job.getSpec());
    return new JobBuilder()
        .withNewMetadata()
        .withName(stage.jobName(job))
        .withNamespace(job.getMetadata().getNamespace())
        .withLabels(Labels.stage(job, stage))
        .endMetadata()
        .withNewSpec()
        .withCompletionMode("Indexed")
        .withCompletions(completions)
        .withParallelism(completions)
        .withBackoffLimit(job.getSpec().getBackoffLimit())
        .withSuspend(suspend(job, existing(job, context).isEmpty()))
        .withNewPodFailurePolicy()
        .addNewRule()
        .withAction("FailJob")
        .withNewOnExitCodes()
        .withContainerName(WorkerPods.CONTAINER)
        .withOperator("In")
        .withValues(WorkerPods.INVALID_INPUT_EXIT_CODE)
        .endOnExitCodes()
        .endRule()
        .addNewRule()
        .withAction("Ignore")
        .addNewOnPodCondition()
        .withType("DisruptionTarget")
        .withStatus("True")
        .endOnPodCondition()
        .endRule()
        .endPodFailurePolicy()
        .withTemplate(WorkerPods.template(job, stage, config))
        .endSpec()
        .build();
  }

  /**
   * Whether the Job should be suspended: the user asked, the job ran past its deadline, or Kueue is
   * on, the job names a LocalQueue and the Job is new (Kueue un-suspends it when it admits it).
   */
  private boolean suspend(DistillationJob job, boolean creating) {
    return forcedSuspension(job)
        || (creating
            && config.kueue().enabled()
            && Labels.stage(job, stage).containsKey(Labels.KUEUE_QUEUE));
  }

  private static boolean forcedSuspension(DistillationJob job) {
    return Boolean.TRUE.equals(job.getSpec().getSuspend())
        || StatusAggregator.deadlineExceeded(job);
  }

  @Override
  public Matcher.Result<Job> match(
      Job actual, Job desired, DistillationJob job, Context<DistillationJob> context) {
    if (kueue.manages(actual)) {
      // Kueue owns spec.suspend; KueueWorkloads suspends and resumes the Job through its Workload.
      return Matcher.Result.computed(true, desired);
    }
    boolean actualSuspend = Boolean.TRUE.equals(actual.getSpec().getSuspend());
    return Matcher.Result.computed(actualSuspend == desired.getSpec().getSuspend(), desired);
  }

  @Override
  public Job update(
      Job actual, Job desired, DistillationJob job, Context<DistillationJob> context) {
    Boolean suspend = desired.getSpec().getSuspend();
    return context
        .getClient()
        .batch()
        .v1()
        .jobs()
        .resource(actual)
        .edit(current -> new JobBuilder(current).editSpec().withSuspend(suspend).endSpec().build());
  }

  /**
   * The stage's Job among those the informer holds under its name: only one that this incarnation
   * of the job owns. Another one (a predecessor's, not yet garbage-collected) is left alone, and
   * creating ours fails visibly until it is gone.
   */
  @Override
  protected Optional<Job> selectTargetSecondaryResource(
      Set<Job> secondaryResources, DistillationJob job, Context<DistillationJob> context) {
    String name = stage.jobName(job);
    return secondaryResources.stream()
        .filter(candidate -> name.equals(candidate.getMetadata().getName()))
        .filter(candidate -> Ownership.ownedBy(candidate, job))
        .findFirst();
  }

  /** The stage's Job as the informer sees it. */
  public Optional<Job> existing(DistillationJob job, Context<DistillationJob> context) {
    return existing(job, stage, context);
  }

  /** {@code stage}'s Job of {@code job} as the informer sees it. */
  static Optional<Job> existing(
      DistillationJob job, Stage stage, Context<DistillationJob> context) {
    String name = stage.jobName(job);
    return context
        .getSecondaryResourcesAsStream(Job.class)
        .filter(candidate -> name.equals(candidate.getMetadata().getName()))
        .filter(candidate -> Ownership.ownedBy(candidate, job))
        .findFirst();
  }
}
