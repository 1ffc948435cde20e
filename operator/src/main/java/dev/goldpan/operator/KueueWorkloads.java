package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.operator.status.JobStates;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * Suspension of stage Jobs that Kueue manages, by Kueue's rules. Kueue owns {@code spec.suspend} of
 * a Job in a LocalQueue: it un-suspends the Job when it admits its Workload, and suspends it again
 * when it evicts it; a Job suspended by anyone else while its Workload is admitted is un-suspended
 * at once. So the operator never touches such a Job's {@code suspend}; when the DistillationJob is
 * suspended (or ran past its deadline) it deactivates the Job's Workload ({@code spec.active:
 * false}), which makes Kueue evict it, release its quota and suspend the Job; resuming activates it
 * again, and the Job queues for admission anew.
 */
@ApplicationScoped
public class KueueWorkloads {

  /** The label Kueue puts on a Workload with the UID of the Job it stands for. */
  static final String JOB_UID = "kueue.x-k8s.io/job-uid";

  static final ResourceDefinitionContext WORKLOADS =
      new ResourceDefinitionContext.Builder()
          .withGroup("kueue.x-k8s.io")
          .withVersion("v1beta2")
          .withKind("Workload")
          .withPlural("workloads")
          .withNamespaced(true)
          .build();

  private static final Logger LOG = Logger.getLogger(KueueWorkloads.class);

  private final OperatorConfig config;

  public KueueWorkloads(OperatorConfig config) {
    this.config = config;
  }

  /** Whether Kueue decides when {@code stageJob} runs: the integration is on and it has a queue. */
  public boolean manages(Job stageJob) {
    Map<String, String> labels = stageJob.getMetadata().getLabels();
    return config.kueue().enabled() && labels != null && labels.containsKey(Labels.KUEUE_QUEUE);
  }

  /**
   * Makes the Workloads of {@code job}'s unfinished stage Jobs active, or inactive when {@code
   * stopped}. Reads Workloads only for Jobs that are suspended, or that should be and are not: a
   * running Job of a running DistillationJob costs no API call.
   */
  public void follow(
      DistillationJob job, Iterable<Job> stageJobs, boolean stopped, KubernetesClient client) {
    for (Job stageJob : stageJobs) {
      if (!manages(stageJob) || JobStates.succeeded(stageJob) || JobStates.failed(stageJob)) {
        continue;
      }
      boolean suspended = Boolean.TRUE.equals(stageJob.getSpec().getSuspend());
      if (!suspended && !stopped) {
        continue;
      }
      for (GenericKubernetesResource workload :
          client
              .genericKubernetesResources(WORKLOADS)
              .inNamespace(stageJob.getMetadata().getNamespace())
              .withLabel(JOB_UID, stageJob.getMetadata().getUid())
              .list()
              .getItems()) {
        boolean active = !Boolean.FALSE.equals(workload.get("spec", "active"));
        if (active == stopped) {
          LOG.infof(
              "%s Workload %s/%s of Job %s (DistillationJob %s %s)",
              stopped ? "deactivating" : "activating",
              workload.getMetadata().getNamespace(),
              workload.getMetadata().getName(),
              stageJob.getMetadata().getName(),
              job.getMetadata().getName(),
              stopped ? "is suspended or past its deadline" : "resumed");
          // On the listed object: the client sends the patch without reading it again.
          client
              .genericKubernetesResources(WORKLOADS)
              .inNamespace(workload.getMetadata().getNamespace())
              .resource(workload)
              .patch(
                  PatchContext.of(PatchType.JSON_MERGE),
                  "{\"spec\":{\"active\":" + !stopped + "}}");
        }
      }
    }
  }
}
