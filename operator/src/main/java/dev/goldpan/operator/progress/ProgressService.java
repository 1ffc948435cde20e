package dev.goldpan.operator.progress;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.ProgressStatus;
import dev.goldpan.operator.Labels;
import dev.goldpan.operator.OperatorCaches;
import dev.goldpan.operator.OperatorConfig;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Checks a report's token, then that the pod it was issued to is a worker of this incarnation of
 * the job, and writes {@code status.progress} by server-side apply with its own field manager, so
 * that the reconciler's status patches and these writes never clobber each other. At most one write
 * per job per {@code goldpan.operator.progress.min-interval}; a report inside the interval replaces
 * the pending one, which is written when the interval ends.
 *
 * <p>At most {@value #WRITERS} writes are in flight at once, however many reports arrive: a report
 * that is due while they are all busy is coalesced too, and written by the flusher as soon as one
 * is free. Under 1,000 reports/s on a slow API server, writes otherwise piled up on the request
 * threads (one HTTP connection each) until reports timed out (issue 12).
 */
@ApplicationScoped
public class ProgressService {

  /** The field manager that owns status.progress. */
  public static final String FIELD_MANAGER = "goldpan-progress";

  private static final Logger LOG = Logger.getLogger(ProgressService.class);

  /** Status writes in flight at most, from request threads and the flusher together. */
  static final int WRITERS = 8;

  /** What became of a report. */
  public enum Outcome {
    APPLIED,
    COALESCED,
    /**
     * Not a worker's token, or not one of this job's workers, or no such job: one answer for all,
     * so that a caller learns nothing about which jobs exist.
     */
    DENIED
  }

  private final KubernetesClient client;
  private final ProgressAuthenticator authenticator;
  private final OperatorCaches caches;
  private final Clock clock;
  private final Duration minInterval;
  private final Map<String, JobProgress> jobs = new ConcurrentHashMap<>();
  private final Semaphore writers = new Semaphore(WRITERS);
  private final ScheduledExecutorService flusher =
      Executors.newScheduledThreadPool(
          WRITERS,
          runnable -> {
            Thread thread = new Thread(runnable, "goldpan-progress-flush");
            thread.setDaemon(true);
            return thread;
          });

  public ProgressService(
      KubernetesClient client,
      ProgressAuthenticator authenticator,
      OperatorCaches caches,
      Clock clock,
      OperatorConfig config) {
    this.client = client;
    this.authenticator = authenticator;
    this.caches = caches;
    this.clock = clock;
    this.minInterval = config.progress().minInterval();
  }

  /**
   * Authenticates the report for {@code namespace/name} (the token first, before anything is read),
   * then writes or coalesces it.
   */
  public Outcome report(
      String namespace, String name, String token, Supplier<ProgressReport> report) {
    Optional<WorkerIdentity> worker = authenticator.authenticate(token);
    if (worker.isEmpty() || !worker.get().namespace().equals(namespace)) {
      return Outcome.DENIED;
    }
    DistillationJob job = job(namespace, name);
    if (job == null || !isWorkerOf(worker.get(), job)) {
      return Outcome.DENIED;
    }
    ProgressReport parsed = report.get();
    Instant now = clock.instant();
    JobProgress progress =
        jobs.computeIfAbsent(job.getMetadata().getUid(), uid -> new JobProgress(namespace, name));
    ProgressStatus status;
    synchronized (progress) {
      if (!progress.observe(worker.get().podName(), parsed, now)) {
        // Overtaken in flight by a later report of the same pod (workers send in the background,
        // and a stage's last step right after the one before): already superseded.
        return Outcome.COALESCED;
      }
      boolean due =
          !progress.writing
              && (progress.lastWrite == null
                  || !now.isBefore(progress.lastWrite.plus(minInterval)));
      if (!due || progress.flushScheduled || !writers.tryAcquire()) {
        if (!progress.flushScheduled) {
          progress.flushScheduled = true;
          long delay =
              due || progress.lastWrite == null
                  ? 1
                  : Duration.between(now, progress.lastWrite.plus(minInterval)).toMillis();
          flusher.schedule(() -> flush(progress), Math.max(delay, 1), TimeUnit.MILLISECONDS);
        }
        return Outcome.COALESCED;
      }
      status = progress.take(now);
    }
    write(progress, status);
    return Outcome.APPLIED;
  }

  /**
   * Whether the token's pod runs a stage of this incarnation of {@code job}: a pod of the same UID,
   * labelled with the job's name and UID (a pod of a deleted job of the same name is not).
   */
  private boolean isWorkerOf(WorkerIdentity worker, DistillationJob job) {
    Pod pod = pod(worker.namespace(), worker.podName());
    if (pod == null || !worker.podUid().equals(pod.getMetadata().getUid())) {
      return false;
    }
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels != null
        && Labels.OPERATOR.equals(labels.get(Labels.MANAGED_BY))
        && job.getMetadata().getName().equals(labels.get(Labels.JOB))
        && job.getMetadata().getUid().equals(labels.get(Labels.JOB_UID));
  }

  /** From the controller's cache; from the API server only where the cache lacks it. */
  private DistillationJob job(String namespace, String name) {
    return caches
        .job(namespace, name)
        .orElseGet(
            () ->
                client
                    .resources(DistillationJob.class)
                    .inNamespace(namespace)
                    .withName(name)
                    .get());
  }

  private Pod pod(String namespace, String name) {
    return caches
        .pod(namespace, name)
        .orElseGet(() -> client.pods().inNamespace(namespace).withName(name).get());
  }

  void onStop(@Observes ShutdownEvent event) {
    flusher.shutdownNow();
  }

  /**
   * Writes the pending report of {@code progress} once a writer is free; while an earlier write of
   * the same job is still in flight, looks again shortly, so that writes of a job never overtake
   * each other.
   */
  private void flush(JobProgress progress) {
    try {
      writers.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    ProgressStatus status;
    synchronized (progress) {
      if (progress.writing) {
        writers.release();
        flusher.schedule(() -> flush(progress), 100, TimeUnit.MILLISECONDS);
        return;
      }
      progress.flushScheduled = false;
      if (progress.pending == null) {
        writers.release();
        return;
      }
      status = progress.take(clock.instant());
    }
    write(progress, status);
  }

  /**
   * Server-side applies {@code status} as the job's status.progress, outside the job's lock so that
   * its reports coalesce meanwhile; then frees the writer taken for it.
   */
  private void write(JobProgress progress, ProgressStatus status) {
    try {
      apply(client, progress.namespace, progress.name, status);
    } catch (KubernetesClientException e) {
      LOG.warnf(
          "could not write progress of %s/%s: %s",
          progress.namespace, progress.name, e.getMessage());
      if (e.getCode() == 404) {
        jobs.values().remove(progress);
      }
    } finally {
      synchronized (progress) {
        progress.writing = false;
      }
      writers.release();
    }
  }

  /**
   * Server-side applies {@code progress} as the status.progress of job {@code namespace/name}, with
   * the progress field manager: one write, no read (also what bench/operator-load.sh measures the
   * API server's write rate with).
   */
  public static void apply(
      KubernetesClient client, String namespace, String name, Object progress) {
    Map<String, Object> patch = new LinkedHashMap<>();
    patch.put("apiVersion", HasMetadata.getApiVersion(DistillationJob.class));
    patch.put("kind", HasMetadata.getKind(DistillationJob.class));
    patch.put("metadata", Map.of("name", name, "namespace", namespace));
    patch.put("status", Map.of("progress", progress));
    // Named by an object, not withName: Fabric8 reads a resource named only by its name from the
    // API server before it patches it, which was one GET per write.
    DistillationJob named = new DistillationJob();
    named.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    client
        .resource(named)
        .subresource("status")
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager(FIELD_MANAGER)
                .withForce(true)
                .build(),
            client.getKubernetesSerialization().asJson(patch));
  }

  /** The reports of one job: the pending one, and where its stage started, for the ETA. */
  private static final class JobProgress {
    final String namespace;
    final String name;
    ProgressReport pending;
    Instant lastWrite;
    boolean flushScheduled;
    boolean writing;
    String stage;
    long firstStep;
    Instant firstSeen;

    /** The latest step each of the job's pods has reported. */
    final Map<String, Long> podSteps = new HashMap<>();

    JobProgress(String namespace, String name) {
      this.namespace = namespace;
      this.name = name;
    }

    /**
     * Takes {@code report} as the pending one, unless {@code pod} has already reported a later
     * step: a pod runs one stage and its steps only grow (a retry is a new pod), so an older step
     * from it arrived late and would put the status back. False when the report is dropped.
     */
    boolean observe(String pod, ProgressReport report, Instant now) {
      Long seen = podSteps.get(pod);
      if (seen != null && report.step() < seen) {
        return false;
      }
      podSteps.put(pod, report.step());
      if (!report.stage().equals(stage) || report.step() < firstStep) {
        stage = report.stage();
        firstStep = report.step();
        firstSeen = now;
      }
      pending = report;
      return true;
    }

    /** The pending report as the status to write now, which is then in flight. */
    ProgressStatus take(Instant now) {
      ProgressStatus status = status(now);
      pending = null;
      lastWrite = now;
      writing = true;
      return status;
    }

    ProgressStatus status(Instant now) {
      ProgressReport report = pending;
      ProgressStatus status = new ProgressStatus();
      status.setStage(report.stage());
      status.setStep(report.step());
      status.setTotalSteps(report.totalSteps());
      status.setPercent((int) Math.min(100, report.step() * 100 / report.totalSteps()));
      if (report.loss() != null && Double.isFinite(report.loss())) {
        status.setLoss(report.loss());
      }
      long done = report.step() - firstStep;
      if (done > 0) {
        double secondsPerStep = Duration.between(firstSeen, now).toMillis() / 1000.0 / done;
        status.setEtaSeconds(Math.round(secondsPerStep * (report.totalSteps() - report.step())));
      }
      status.setUpdatedAt(now.truncatedTo(ChronoUnit.SECONDS).toString());
      return status;
    }
  }
}
