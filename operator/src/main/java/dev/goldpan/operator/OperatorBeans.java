package dev.goldpan.operator;

import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Clock;

/** The operator's shared beans: the clock, and the Lease settings when leader election is on. */
@ApplicationScoped
public class OperatorBeans {

  @Produces
  @ApplicationScoped
  Clock clock() {
    return Clock.systemUTC();
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
        // Not for JOSDK's per-resource meters (tagged with the resource's name): percentiles
        // keep a histogram per meter, which for thousands of jobs is most of the heap.
        if (id.getType() == Meter.Type.TIMER
            && id.getTag("name") == null
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
