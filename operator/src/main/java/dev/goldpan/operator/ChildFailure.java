package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.operator.dependent.TaskConfigMapDependentResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Why a reconcile failed, as the status and an Event tell it: which child could not be made and
 * what the API server answered. The reason is the API server's (AlreadyExists, Forbidden, Invalid,
 * Conflict...), or the exception's class when no API call failed.
 */
record ChildFailure(String reason, String message) {

  static ChildFailure of(DistillationJob job, Exception e) {
    AggregatedOperatorException aggregated = null;
    for (Throwable cause = e; cause != null && aggregated == null; cause = cause.getCause()) {
      if (cause instanceof AggregatedOperatorException workflow) {
        aggregated = workflow;
      }
    }
    if (aggregated != null && !aggregated.getAggregatedExceptions().isEmpty()) {
      String reason = null;
      List<String> parts = new ArrayList<>();
      for (Map.Entry<String, Exception> failed : aggregated.getAggregatedExceptions().entrySet()) {
        ChildFailure one = describe(failed.getValue());
        reason = reason == null ? one.reason() : reason;
        parts.add(child(job, failed.getKey()) + ": " + one.message());
      }
      return new ChildFailure(reason, String.join("; ", parts));
    }
    return describe(e);
  }

  /** The child a workflow dependent stands for, e.g. "Job x-score". */
  private static String child(DistillationJob job, String dependent) {
    for (Stage stage : Stage.values()) {
      if (stage.id().equals(dependent)) {
        return "cannot create or update Job " + stage.jobName(job);
      }
    }
    if (DistillationJobReconciler.TASK.equals(dependent)) {
      return "cannot create or update ConfigMap " + TaskConfigMapDependentResource.name(job);
    }
    return "cannot reconcile " + dependent;
  }

  private static ChildFailure describe(Throwable e) {
    for (Throwable cause = e; cause != null; cause = cause.getCause()) {
      if (cause instanceof KubernetesClientException client) {
        var status = client.getStatus();
        String reason =
            status != null && status.getReason() != null && !status.getReason().isBlank()
                ? status.getReason()
                : client.getCode() > 0 ? "HTTP" + client.getCode() : "ApiError";
        String message =
            status != null && status.getMessage() != null
                ? status.getMessage()
                : Objects.toString(client.getMessage(), reason);
        return new ChildFailure(reason, message);
      }
    }
    return new ChildFailure(e.getClass().getSimpleName(), Objects.toString(e.getMessage(), ""));
  }
}
