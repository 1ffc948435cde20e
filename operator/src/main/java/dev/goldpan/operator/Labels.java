package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import java.util.LinkedHashMap;
import java.util.Map;

/** Labels the operator puts on what it creates, and the ones it copies from the job. */
public final class Labels {

  /** Name of the DistillationJob an object belongs to. */
  public static final String JOB = "goldpan.dev/job";

  /**
   * UID of the DistillationJob a worker pod belongs to: tells its pods from those of a deleted job
   * of the same name, for the progress endpoint.
   */
  public static final String JOB_UID = "goldpan.dev/job-uid";

  /** The pipeline stage of a Job or pod. */
  public static final String STAGE = "goldpan.dev/stage";

  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String OPERATOR = "goldpan-operator";

  /**
   * The label selector of every informer on what the operator creates: it caches only its own
   * objects, not every Job, pod or ConfigMap of the cluster.
   */
  public static final String SELECTOR = MANAGED_BY + "=" + OPERATOR;

  /** Kueue's queue label; copied to each stage Job so that Kueue queues it. */
  public static final String KUEUE_QUEUE = "kueue.x-k8s.io/queue-name";

  /** Kueue's workload priority class label; copied with the queue name. */
  public static final String KUEUE_PRIORITY = "kueue.x-k8s.io/priority-class";

  private Labels() {}

  /** The labels of every object owned by {@code job}. */
  public static Map<String, String> owned(DistillationJob job) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(MANAGED_BY, OPERATOR);
    labels.put(JOB, job.getMetadata().getName());
    return labels;
  }

  /** Owned labels, the stage, and the Kueue labels the job carries. */
  public static Map<String, String> stage(DistillationJob job, Stage stage) {
    Map<String, String> labels = owned(job);
    labels.put(STAGE, stage.id());
    Map<String, String> jobLabels = job.getMetadata().getLabels();
    if (jobLabels != null) {
      for (String copied : new String[] {KUEUE_QUEUE, KUEUE_PRIORITY}) {
        if (jobLabels.containsKey(copied)) {
          labels.put(copied, jobLabels.get(copied));
        }
      }
    }
    return labels;
  }
}
