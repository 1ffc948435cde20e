package dev.goldpan.operator.dependent;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.StageState;
import dev.goldpan.api.v1alpha1.StageStatus;
import dev.goldpan.operator.OperatorConfig;
import dev.goldpan.operator.Stage;
import dev.goldpan.operator.status.JobStates;
import dev.goldpan.operator.status.StatusAggregator;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.dependent.DependentResource;
import io.javaoperatorsdk.operator.processing.dependent.workflow.Condition;
import jakarta.enterprise.inject.spi.CDI;

/**
 * Reconcile precondition of a stage Job: a Job that exists is always kept in step (suspend); a new
 * one is created only when the stage is not skipped and has not finished before (a finished stage
 * whose Job was deleted is not run again), the previous stage succeeded (or was skipped), the job
 * has not finished, and there is a worker image to run that the allow-list allows.
 */
public class StagePrerequisitesCondition implements Condition<Job, DistillationJob> {

  @Override
  public boolean isMet(
      DependentResource<Job, DistillationJob> dependentResource,
      DistillationJob job,
      Context<DistillationJob> context) {
    StageJobDependentResource stageJob = (StageJobDependentResource) dependentResource;
    Stage stage = stageJob.stage();
    OperatorConfig config = CDI.current().select(OperatorConfig.class).get();
    if (stageJob.existing(job, context).isPresent()) {
      return true;
    }
    if (stage.skipped(job.getSpec())
        || StatusAggregator.failed(job)
        || StatusAggregator.finished(job.getStatus())
        || finished(stage, job)
        || WorkerPods.image(job, config) == null
        || WorkerPods.imageRefusal(job, config).isPresent()) {
      return false;
    }
    Stage previous = stage.previous();
    if (previous == null || previous.skipped(job.getSpec())) {
      return true;
    }
    return state(previous, job) == StageState.SUCCEEDED
        || StageJobDependentResource.existing(job, previous, context)
            .filter(JobStates::succeeded)
            .isPresent();
  }

  private static boolean finished(Stage stage, DistillationJob job) {
    StageState state = state(stage, job);
    return state == StageState.SUCCEEDED || state == StageState.FAILED;
  }

  /** What the job's status says of {@code stage}; null before it says anything. */
  private static StageState state(Stage stage, DistillationJob job) {
    StageStatus status = job.getStatus() == null ? null : stage.in(job.getStatus().getStages());
    return status == null ? null : status.getState();
  }
}
