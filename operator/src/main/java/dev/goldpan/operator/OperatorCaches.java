package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.Cache;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;

/**
 * The controller's informer caches of DistillationJobs and worker pods, for the progress endpoint:
 * it looks a reporting pod and its job up here instead of asking the API server on every report.
 * Empty until the controller has started (on a replica that is not the leader: never).
 */
@ApplicationScoped
public class OperatorCaches {

  private volatile Cache<DistillationJob> jobs;
  private volatile Cache<Pod> pods;

  void use(Cache<DistillationJob> jobs, Cache<Pod> pods) {
    this.jobs = jobs;
    this.pods = pods;
  }

  /** {@code namespace/name} as the controller's cache holds it; empty when it does not. */
  public Optional<DistillationJob> job(String namespace, String name) {
    Cache<DistillationJob> cache = jobs;
    return cache == null ? Optional.empty() : cache.get(new ResourceID(name, namespace));
  }

  /** The worker pod {@code namespace/name} as the controller's cache holds it. */
  public Optional<Pod> pod(String namespace, String name) {
    Cache<Pod> cache = pods;
    return cache == null ? Optional.empty() : cache.get(new ResourceID(name, namespace));
  }
}
