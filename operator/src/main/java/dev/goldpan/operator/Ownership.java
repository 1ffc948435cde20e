package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which objects belong to one incarnation of a DistillationJob: those whose owner reference carries
 * its UID, and the pods of those. Names and labels are not enough: a job deleted and created again
 * under the same name has a new UID, and its predecessor's objects live on until the garbage
 * collector removes them.
 */
public final class Ownership {

  private Ownership() {}

  /** Whether {@code object} has an owner reference to {@code job} (by UID). */
  public static boolean ownedBy(HasMetadata object, DistillationJob job) {
    return hasOwner(object, Set.of(job.getMetadata().getUid()));
  }

  /** The objects among {@code candidates} that {@code job} owns. */
  public static <T extends HasMetadata> List<T> ownedBy(
      Collection<T> candidates, DistillationJob job) {
    return candidates.stream().filter(candidate -> ownedBy(candidate, job)).toList();
  }

  /** The pods among {@code candidates} that one of {@code jobs} runs. */
  public static List<Pod> podsOf(Collection<Pod> candidates, Collection<Job> jobs) {
    Set<String> uids =
        jobs.stream().map(job -> job.getMetadata().getUid()).collect(Collectors.toSet());
    return candidates.stream().filter(pod -> hasOwner(pod, uids)).toList();
  }

  private static boolean hasOwner(HasMetadata object, Set<String> uids) {
    List<OwnerReference> owners = object.getMetadata().getOwnerReferences();
    return owners != null
        && owners.stream()
            .anyMatch(owner -> owner.getUid() != null && uids.contains(owner.getUid()));
  }
}
