package dev.goldpan.operator;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** The operator's own settings ({@code goldpan.operator.*}); the Helm chart sets them. */
@ConfigMapping(prefix = "goldpan.operator")
public interface OperatorConfig {

  /** Worker image (CPU libtorch) for jobs that do not set spec.worker.image. */
  Optional<String> workerImage();

  /**
   * Worker image with a CUDA libtorch, for jobs that ask for GPUs and do not set spec.worker.image;
   * such jobs get {@link #workerImage()} when it is not set.
   */
  Optional<String> gpuWorkerImage();

  /**
   * Images that spec.worker.image may name, each a prefix (e.g. {@code ghcr.io/goldpan/}); any
   * image when not set. The operator's own worker images are always allowed.
   */
  Optional<List<String>> allowedWorkerImages();

  /** Extended resource that GPUs are requested as, unless spec.resources.gpuResource says. */
  @WithDefault("nvidia.com/gpu")
  String gpuResource();

  Kueue kueue();

  Progress progress();

  LeaderElection leaderElection();

  /** Kueue integration: stage Jobs are created suspended so that Kueue admits them. */
  interface Kueue {
    @WithDefault("false")
    boolean enabled();
  }

  /** The endpoint workers POST their progress to. */
  interface Progress {
    /**
     * Base URL of the operator's progress endpoint as worker pods reach it, e.g.
     * http://goldpan-operator.goldpan.svc:8080. Without it, workers report to their log only.
     */
    Optional<String> url();

    /** At most one status.progress write per job in this interval; later reports coalesce. */
    @WithDefault("2s")
    Duration minInterval();
  }

  /** A Lease so that only one replica reconciles. */
  interface LeaderElection {
    @WithDefault("false")
    boolean enabled();

    @WithDefault("goldpan-operator")
    String leaseName();

    /** Namespace of the Lease; the operator's own namespace when not set. */
    Optional<String> leaseNamespace();

    /**
     * Exit the process when leadership is lost, so that Kubernetes restarts it as a follower (off
     * only where the process must outlive its API server, as in tests).
     */
    @WithDefault("true")
    boolean exitOnStopLeading();
  }
}
