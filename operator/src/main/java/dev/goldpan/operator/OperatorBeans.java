package dev.goldpan.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/**
 * The operator's shared beans: the clock, JOSDK's metrics, and the Lease settings when leader
 * election is on.
 */
@ApplicationScoped
public class OperatorBeans {

  @Produces
  @ApplicationScoped
  Clock clock() {
    return Clock.systemUTC();
  }

  /**
   * JOSDK's meters per controller only. The Quarkus extension's default also keeps a set of meters
   * per DistillationJob (tagged with its name and namespace): about 80 series and a timer histogram
   * per job, which at 500 jobs was most of the heap and most of each scrape, and grows with every
   * job until it is deleted. Dashboards and alerts read the per-controller series.
   */
  @Produces
  @Singleton
  Metrics metrics(MeterRegistry registry) {
    return MicrometerMetrics.withoutPerResourceMetrics(registry);
  }

  /**
   * Percentiles (client-side, exact to two digits) for the reconcile timers (JOSDK's {@code
   * operator.sdk.controllers.execution.*}) and the stage durations, so that dashboards can show p95
   * latency.
   */
  @Produces
  @Singleton
  MeterFilter latencyPercentiles() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(
          Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() == Meter.Type.TIMER
            && (id.getName().startsWith("operator.sdk.controllers.execution")
                || id.getName().startsWith("goldpan."))) {
          return DistributionStatisticConfig.builder()
              .percentiles(0.5, 0.95, 0.99)
              .percentilePrecision(2)
              .build()
              .merge(config);
        }
        return config;
      }
    };
  }

  /**
   * The Lease that makes one replica the leader; null (no leader election) unless
   * goldpan.operator.leader-election.enabled.
   */
  @Produces
  @Dependent
  LeaderElectionConfiguration leaderElection(OperatorConfig config) {
    OperatorConfig.LeaderElection election = config.leaderElection();
    if (!election.enabled()) {
      return null;
    }
    LeaderElectionConfigurationBuilder builder =
        LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(election.leaseName())
            .withExitOnStopLeading(election.exitOnStopLeading());
    election.leaseNamespace().ifPresent(builder::withLeaseNamespace);
    return builder.build();
  }
}
