package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.Map;
import java.util.TreeMap;

/**
 * Informer stores that keep only what the operator reads. Every informed object loses its {@code
 * metadata.managedFields} (the operator never applies server-side to a cached object); a stage Job
 * loses its pod template, a worker pod its spec but the node name, and a task ConfigMap its data,
 * which the annotation {@link #TASK_DIGEST} of the cached copy stands for. At 5,000 jobs these were
 * most of the heap (issue 12, docs/benchmarks.md). Objects are trimmed in place as the informer
 * stores them; the informer deserialised them for the store, so nothing else holds them.
 */
public final class TrimmedStores {

  /**
   * The SHA-256 of a task ConfigMap's data, recorded on the cached copy only, by which the task is
   * matched without caching the data.
   */
  public static final String TASK_DIGEST = "goldpan.dev/task-sha256";

  private TrimmedStores() {}

  /** A store that trims each object before keeping it. */
  abstract static class Trimming<T extends HasMetadata> extends BasicItemStore<T> {

    Trimming() {
      super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public T put(String key, T object) {
      object.getMetadata().setManagedFields(null);
      trim(object);
      return super.put(key, object);
    }

    abstract void trim(T object);
  }

  /** DistillationJobs: only their managed fields go. */
  public static final class DistillationJobs extends Trimming<DistillationJob> {

    @Override
    void trim(DistillationJob job) {}
  }

  /**
   * Stage Jobs: their pod template goes; {@code suspend}, the other spec fields, metadata and
   * status stay.
   */
  public static final class Jobs extends Trimming<Job> {

    @Override
    void trim(Job job) {
      if (job.getSpec() != null) {
        job.getSpec().setTemplate(null);
      }
    }
  }

  /** Worker pods: their spec goes but for the node name; metadata and status stay. */
  public static final class Pods extends Trimming<Pod> {

    @Override
    void trim(Pod pod) {
      if (pod.getSpec() != null) {
        PodSpec kept = new PodSpec();
        kept.setNodeName(pod.getSpec().getNodeName());
        pod.setSpec(kept);
      }
    }
  }

  /** Task ConfigMaps: their data goes; its digest, in {@link #TASK_DIGEST}, stands for it. */
  public static final class TaskConfigMaps extends Trimming<ConfigMap> {

    @Override
    void trim(ConfigMap map) {
      Map<String, String> annotations = new TreeMap<>();
      if (map.getMetadata().getAnnotations() != null) {
        annotations.putAll(map.getMetadata().getAnnotations());
      }
      annotations.put(TASK_DIGEST, digest(map.getData()));
      map.getMetadata().setAnnotations(annotations);
      map.setData(null);
      map.setBinaryData(null);
    }
  }

  /**
   * The digest of a task ConfigMap's data: computed from the data where the object has it (one the
   * operator built or just wrote), else the one its trimmed cached copy records.
   */
  public static String digestOf(ConfigMap map) {
    if (map.getData() != null) {
      return digest(map.getData());
    }
    Map<String, String> annotations = map.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(TASK_DIGEST);
  }

  /** SHA-256 over the entries in key order, each key and value ended by a NUL. */
  static String digest(Map<String, String> data) {
    StringBuilder entries = new StringBuilder();
    if (data != null) {
      new TreeMap<>(data)
          .forEach((key, value) -> entries.append(key).append('\0').append(value).append('\0'));
    }
    return Sha256.hex(entries.toString());
  }
}
