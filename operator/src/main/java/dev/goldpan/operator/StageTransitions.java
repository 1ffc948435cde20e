package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import dev.goldpan.api.v1alpha1.Phase;
import dev.goldpan.api.v1alpha1.StageState;
import dev.goldpan.api.v1alpha1.StageStatus;
import dev.goldpan.api.v1alpha1.StagesStatus;
import dev.goldpan.operator.status.StatusAggregator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * What happens when a job's status changes: a Kubernetes Event for every stage transition, for a
 * child that cannot be made, and for the job's end, and the Prometheus metrics (jobs by result,
 * stage durations, reconcile errors).
 *
 * <p>"Before" is the status the API server held and "after" the one just written over it (on that
 * very version), so each transition is recorded once, by the one write that made it, also across
 * operator restarts; nothing is remembered in memory.
 *
 * <p>Events are created off the reconcile's path, by {@link #EVENT_WRITERS} threads: a reconcile
 * that recorded a transition used to wait for its Events after its own writes (a child, the
 * status), each 100-400 ms on a busy API server (issue 12, docs/benchmarks.md). An Event keeps the
 * time of its transition, whenever it is written. When {@link #EVENT_BACKLOG} Events wait, the
 * reconcile writes its own (nothing is dropped), and the operator writes those waiting before it
 * stops.
 */
@ApplicationScoped
public class StageTransitions {

  private static final Logger LOG = Logger.getLogger(StageTransitions.class);
  static final String JOBS_FINISHED = "goldpan.jobs.finished";
  static final String STAGE_DURATION = "goldpan.stage.duration";
  static final String RECONCILE_ERRORS = "goldpan.reconcile.errors";
  static final int EVENT_WRITERS = 2;
  static final int EVENT_BACKLOG = 10_000;
  private static final Duration EVENT_DRAIN = Duration.ofSeconds(10);

  private final KubernetesClient client;
  private final MeterRegistry registry;
  private final Clock clock;
  private final AtomicLong eventSequence = new AtomicLong();

  private final ThreadPoolExecutor eventWriters =
      new ThreadPoolExecutor(
          EVENT_WRITERS,
          EVENT_WRITERS,
          0,
          TimeUnit.SECONDS,
          new ArrayBlockingQueue<>(EVENT_BACKLOG),
          task -> {
            Thread thread = new Thread(task, "goldpan-events");
            thread.setDaemon(true);
            return thread;
          },
          // Full or stopped: the caller writes it (CallerRunsPolicy would drop it once stopped).
          (task, executor) -> task.run());

  public StageTransitions(KubernetesClient client, MeterRegistry registry, Clock clock) {
    this.client = client;
    this.registry = registry;
    this.clock = clock;
  }

  /** Writes the Events still waiting, for at most {@link #EVENT_DRAIN}. */
  void onStop(@Observes ShutdownEvent stop) {
    eventWriters.shutdown();
    try {
      if (!eventWriters.awaitTermination(EVENT_DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warnf("stopping with %d Events not written", eventWriters.getQueue().size());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Events and metrics for what changed between {@code before}, the status the API server held, and
   * {@code after}, the status written over it.
   */
  public void record(
      DistillationJob job, DistillationJobStatus before, DistillationJobStatus after) {
    StagesStatus oldStages = before == null ? null : before.getStages();
    for (Stage stage : Stage.values()) {
      StageStatus now = stage.in(after.getStages());
      StageStatus then = stage.in(oldStages);
      StageState oldState = then == null ? null : then.getState();
      if (now == null || now.getState() == oldState || now.getState() == StageState.PENDING) {
        continue;
      }
      String reason = capitalize(stage.id()) + now.getState().value();
      String message =
          switch (now.getState()) {
            case RUNNING -> "Job " + now.getJob() + " is running";
            case SUSPENDED -> "Job " + now.getJob() + " is suspended";
            case QUEUED -> now.getMessage();
            case SKIPPED -> Objects.toString(now.getMessage(), "skipped");
            default -> Objects.toString(now.getMessage(), now.getState().value());
          };
      boolean warning = now.getState() == StageState.FAILED || now.getState() == StageState.WAITING;
      emit(job, warning ? "Warning" : "Normal", reason, message);
      if (now.getState() == StageState.SUCCEEDED || now.getState() == StageState.FAILED) {
        Duration duration = between(now.getStartTime(), now.getCompletionTime());
        if (duration != null) {
          Timer.builder(STAGE_DURATION)
              .description("Wall time of a pipeline stage's Job, retries included")
              .tag("stage", stage.id())
              .tag("result", now.getState().value())
              .publishPercentileHistogram()
              .register(registry)
              .record(duration);
        }
      }
    }
    Condition reconciled =
        StatusAggregator.condition(after, StatusAggregator.RECONCILED).orElse(null);
    Condition wasReconciled =
        StatusAggregator.condition(before, StatusAggregator.RECONCILED).orElse(null);
    if (reconciled != null
        && "False".equals(reconciled.getStatus())
        && (wasReconciled == null
            || !"False".equals(wasReconciled.getStatus())
            || !Objects.equals(wasReconciled.getReason(), reconciled.getReason())
            || !Objects.equals(wasReconciled.getMessage(), reconciled.getMessage()))) {
      emit(
          job,
          "Warning",
          "ReconcileFailed",
          reconciled.getReason() + ": " + reconciled.getMessage());
    }
    Phase oldPhase = before == null ? null : before.getPhase();
    if (after.getPhase() != oldPhase
        && (after.getPhase() == Phase.SUCCEEDED || after.getPhase() == Phase.FAILED)) {
      String result = after.getPhase().value();
      Counter.builder(JOBS_FINISHED)
          .description("DistillationJobs that ended, by result")
          .tag("result", result)
          .register(registry)
          .increment();
      String message =
          after.getPhase() == Phase.SUCCEEDED && after.getResult().getAccuracy() != null
              ? String.format(
                  "test accuracy %.2f %% ± %.2f; artifacts in %s",
                  100 * after.getResult().getAccuracy().getMean(),
                  100 * after.getResult().getAccuracy().getStd(),
                  after.getResult().getOutputLocation())
              : conditionMessage(after);
      emit(job, after.getPhase() == Phase.SUCCEEDED ? "Normal" : "Warning", result, message);
    }
    if (after.getPhase() == Phase.SUSPENDED && oldPhase != Phase.SUSPENDED) {
      emit(job, "Normal", "Suspended", "spec.suspend is true");
    } else if (oldPhase == Phase.SUSPENDED && after.getPhase() != Phase.SUSPENDED) {
      emit(job, "Normal", "Resumed", "spec.suspend is false");
    }
  }

  /** Counts a failed reconcile. */
  public void reconcileError(DistillationJob job, Exception e) {
    Counter.builder(RECONCILE_ERRORS)
        .description("Reconciles of a DistillationJob that threw")
        .tag("exception", e.getClass().getSimpleName())
        .register(registry)
        .increment();
    LOG.warnf(
        e,
        "reconciling %s/%s failed",
        job.getMetadata().getNamespace(),
        job.getMetadata().getName());
  }

  private void emit(DistillationJob job, String type, String reason, String message) {
    String now = clock.instant().toString();
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withName(
                job.getMetadata().getName()
                    + "."
                    + Long.toHexString(clock.millis())
                    + Long.toHexString(eventSequence.incrementAndGet()))
            .withNamespace(job.getMetadata().getNamespace())
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(job.getApiVersion())
                    .withKind(job.getKind())
                    .withName(job.getMetadata().getName())
                    .withNamespace(job.getMetadata().getNamespace())
                    .withUid(job.getMetadata().getUid())
                    .withResourceVersion(job.getMetadata().getResourceVersion())
                    .build())
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .withNewSource()
            .withComponent(Labels.OPERATOR)
            .endSource()
            .withReportingComponent(Labels.OPERATOR)
            .build();
    eventWriters.execute(() -> create(event));
  }

  private void create(Event event) {
    try {
      client.v1().events().inNamespace(event.getMetadata().getNamespace()).resource(event).create();
    } catch (KubernetesClientException e) {
      LOG.warnf(
          "could not record event %s for %s: %s",
          event.getReason(), event.getInvolvedObject().getName(), e.getMessage());
    }
  }

  private static String conditionMessage(DistillationJobStatus status) {
    return StatusAggregator.condition(status, StatusAggregator.FAILED)
        .map(Condition::getMessage)
        .orElse("");
  }

  private static Duration between(String start, String end) {
    if (start == null || end == null) {
      return null;
    }
    try {
      return Duration.between(Instant.parse(start), Instant.parse(end));
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static String capitalize(String word) {
    return Character.toUpperCase(word.charAt(0)) + word.substring(1);
  }
}
