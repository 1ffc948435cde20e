package dev.goldpan.operator.dependent;

import dev.goldpan.api.v1alpha1.DistillationJob;
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
 * one is created only when the stage is not skipped, the previous stage succeeded (or was skipped),
 * the job has not failed, and there is a worker image to run.
 */
public class StagePrerequisitesCondition implements Condition<Job, DistillationJob> {

  @Override
  public boolean isMet(
      DependentResource<Job, DistillationJob> dependentResource,
      DistillationJob job,
      Context<DistillationJob> context) {
    StageJobDependentResource stageJob = (StageJobDependentResource) dependentResource;
    Stage stage = stageJob.stage();
    if (stageJob.existing(job, context).isPresent()) {
      return true;
    }
    if (stage.skipped(job.getSpec())
        || StatusAggregator.failed(job)
        || WorkerPods.image(job, CDI.current().select(OperatorConfig.class).get()) == null) {
      return false;
    }
    Stage previous = stage.previous();
    if (previous == null || previous.skipped(job.getSpec())) {
      return true;
    }
    return StageJobDependentResource.existing(job, previous, context)
        .filter(JobStates::succeeded)
        .isPresent();
  }
}
