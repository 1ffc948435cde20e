package dev.goldpan.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goldpan.operator.chart.HelmChart;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The chart's RBAC rules grant exactly the requests the operator made in the other ITs (recorded by
 * {@link CrudApiServer}): nothing it calls is missing, and nothing it never calls is granted. Runs
 * after them (failsafe's alphabetical run order, see operator/pom.xml).
 */
class RbacRulesIT {

  /**
   * Granted though the ITs never see the call: JOSDK's leader election checks, through a
   * SelfSubjectRulesReview, that it may update Leases, and refuses to start otherwise (the local
   * control plane showed it); Fabric8's lease lock itself renews with patch.
   */
  private static final Set<String> CHECKED_NOT_CALLED = Set.of("coordination.k8s.io leases update");

  /** The one cluster-scoped call: checking a worker's progress token. */
  private static final String TOKEN_REVIEWS = "authentication.k8s.io tokenreviews create";

  @Test
  void theClusterWideRulesGrantExactlyWhatTheOperatorCalls() {
    Set<String> called = CrudApiServer.operatorCalls();
    assertThat(called)
        .as("no recorded calls: run the whole IT suite (mvn verify -pl operator), not this class")
        .isNotEmpty();
    // KueueIT runs the operator with its Kueue integration on, as the chart's kueue.enabled does.
    List<HasMetadata> chart = HelmChart.template(Map.of("kueue.enabled", "true"));
    Set<String> granted = new TreeSet<>();
    chart.stream()
        .filter(ClusterRole.class::isInstance)
        .forEach(role -> granted.addAll(grants(((ClusterRole) role).getRules())));
    chart.stream()
        .filter(Role.class::isInstance)
        .forEach(role -> granted.addAll(grants(((Role) role).getRules())));
    assertThat(granted).containsExactlyInAnyOrderElementsOf(needed(called));
  }

  private static Set<String> needed(Set<String> called) {
    Set<String> needed = new TreeSet<>(called);
    needed.addAll(CHECKED_NOT_CALLED);
    return needed;
  }

  @Test
  void perWatchedNamespaceOnlyTheTokenReviewsAreClusterWide() {
    // KueueIT runs the operator with its Kueue integration on, as the chart's kueue.enabled does.
    List<HasMetadata> chart =
        HelmChart.template(Map.of("watchNamespaces", "{team-a,team-b}", "kueue.enabled", "true"));
    Set<String> namespaced = new TreeSet<>();
    chart.stream()
        .filter(Role.class::isInstance)
        .forEach(role -> namespaced.addAll(grants(((Role) role).getRules())));
    Set<String> clusterWide = new TreeSet<>();
    chart.stream()
        .filter(ClusterRole.class::isInstance)
        .forEach(role -> clusterWide.addAll(grants(((ClusterRole) role).getRules())));

    assertThat(clusterWide).containsExactly(TOKEN_REVIEWS);
    Set<String> all = new TreeSet<>(namespaced);
    all.addAll(clusterWide);
    assertThat(all).containsExactlyInAnyOrderElementsOf(needed(CrudApiServer.operatorCalls()));
  }

  @Test
  void noSecretIsReadOrWritten() {
    assertThat(CrudApiServer.operatorCalls()).noneMatch(call -> call.startsWith("core secrets "));
    List<HasMetadata> chart = HelmChart.template(Map.of());
    Set<String> granted = new TreeSet<>();
    chart.stream()
        .filter(ClusterRole.class::isInstance)
        .forEach(role -> granted.addAll(grants(((ClusterRole) role).getRules())));
    assertThat(granted).noneMatch(grant -> grant.contains("secrets"));
  }

  @Test
  void onlyTheKueueIntegrationMayTouchKueuesWorkloads() {
    Set<String> granted = new TreeSet<>();
    HelmChart.template(Map.of()).stream()
        .filter(ClusterRole.class::isInstance)
        .forEach(role -> granted.addAll(grants(((ClusterRole) role).getRules())));
    assertThat(granted).isNotEmpty().noneMatch(grant -> grant.startsWith("kueue.x-k8s.io "));
  }

  /** "group resource verb" for every combination a rule grants ("core" for the core group). */
  private static Set<String> grants(List<PolicyRule> rules) {
    Set<String> grants = new TreeSet<>();
    for (PolicyRule rule : rules) {
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            grants.add((group.isEmpty() ? "core" : group) + " " + resource + " " + verb);
          }
        }
      }
    }
    return grants;
  }
}
