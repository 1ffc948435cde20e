package dev.goldpan.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goldpan.api.v1alpha1.DistillationJob;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.AggregatedOperatorException;
import io.javaoperatorsdk.operator.OperatorException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChildFailureTest {

  private static final DistillationJob JOB = job();

  @Test
  void namesTheChildAndTakesTheApiServersReasonAndMessage() {
    Map<String, Exception> failed = new LinkedHashMap<>();
    failed.put(
        "score", apiError(409, "AlreadyExists", "jobs.batch \"fmnist-score\" already exists"));
    // As JOSDK hands it to updateErrorStatus: the workflow's exception, wrapped.
    Exception thrown =
        new OperatorException(new AggregatedOperatorException("workflow failed", failed));

    ChildFailure failure = ChildFailure.of(JOB, thrown);

    assertThat(failure.reason()).isEqualTo("AlreadyExists");
    assertThat(failure.message())
        .isEqualTo(
            "cannot create or update Job fmnist-score: jobs.batch \"fmnist-score\" already exists");
  }

  @Test
  void aQuotaOnTheTaskIsForbiddenAndEveryFailedChildIsNamed() {
    Map<String, Exception> failed = new LinkedHashMap<>();
    failed.put(
        "task",
        apiError(403, "Forbidden", "exceeded quota: compute, requested: configmaps=1, limited: 0"));
    failed.put("distill", apiError(422, "Invalid", "spec.template: Invalid value"));

    ChildFailure failure =
        ChildFailure.of(JOB, new AggregatedOperatorException("workflow failed", failed));

    assertThat(failure.reason()).isEqualTo("Forbidden");
    assertThat(failure.message())
        .contains("cannot create or update ConfigMap fmnist-task: exceeded quota")
        .contains("; cannot create or update Job fmnist-distill: spec.template: Invalid value");
  }

  @Test
  void withoutAnApiErrorTheExceptionSaysWhat() {
    ChildFailure failure = ChildFailure.of(JOB, new IllegalStateException("no worker image"));

    assertThat(failure.reason()).isEqualTo("IllegalStateException");
    assertThat(failure.message()).isEqualTo("no worker image");
  }

  private static KubernetesClientException apiError(int code, String reason, String message) {
    return new KubernetesClientException(
        new StatusBuilder().withCode(code).withReason(reason).withMessage(message).build());
  }

  private static DistillationJob job() {
    DistillationJob job = new DistillationJob();
    job.setMetadata(new ObjectMetaBuilder().withName("fmnist").withNamespace("team-a").build());
    return job;
  }
}
