package dev.goldpan.operator.status;

import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.util.Optional;

/** What a batch/v1 Job's status conditions say. */
public final class JobStates {

  private JobStates() {}

  public static boolean succeeded(Job job) {
    return condition(job, "Complete").isPresent();
  }

  public static boolean failed(Job job) {
    return condition(job, "Failed").isPresent();
  }

  /** The Job's condition of {@code type} when it is True. */
  public static Optional<JobCondition> condition(Job job, String type) {
    if (job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
        .findFirst();
  }
}
