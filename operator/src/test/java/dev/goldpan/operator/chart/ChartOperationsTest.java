package dev.goldpan.operator.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the chart offers for running Goldpan in production: its values schema, a
 * PodDisruptionBudget, image pull secrets, and the Prometheus Operator and Grafana objects (off by
 * default). MonitoringMetricsIT checks that the metrics they query are the operator's own.
 */
class ChartOperationsTest {

  private static final Map<String, String> MONITORING =
      Map.of(
          "metrics.serviceMonitor.enabled", "true",
          "metrics.prometheusRule.enabled", "true",
          "metrics.grafanaDashboard.enabled", "true");

  @Test
  void theSchemaRefusesMistypedAndUnknownValues() {
    assertThatThrownBy(() -> HelmChart.template(Map.of("replicaCount", "two")))
        .hasMessageContaining("replicaCount");
    assertThatThrownBy(() -> HelmChart.template(Map.of("watchNamespace", "{team-a}")))
        .hasMessageContaining("watchNamespace");
    assertThatThrownBy(() -> HelmChart.template(Map.of("image.pullPolicy", "Sometimes")))
        .hasMessageContaining("pullPolicy");
    assertThatThrownBy(() -> HelmChart.template(Map.of("metrics.serviceMonitor.interval", "often")))
        .hasMessageContaining("interval");
  }

  @Test
  void aDisruptionBudgetLeavesAtMostOneOperatorPodDown() {
    List<HasMetadata> objects = HelmChart.template(Map.of("replicaCount", "2"));
    PodDisruptionBudget budget = one(objects, PodDisruptionBudget.class);
    Deployment deployment = one(objects, Deployment.class);

    assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    assertThat(budget.getSpec().getMinAvailable()).isNull();
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(budget.getSpec().getSelector().getMatchLabels());
    assertThat(
            all(
                HelmChart.template(Map.of("podDisruptionBudget.enabled", "false")),
                PodDisruptionBudget.class))
        .isEmpty();
  }

  @Test
  void imagePullSecretsReachTheOperatorPod() {
    Deployment none = one(HelmChart.template(Map.of()), Deployment.class);
    Deployment some =
        one(HelmChart.template(Map.of("imagePullSecrets[0].name", "regcred")), Deployment.class);

    assertThat(none.getSpec().getTemplate().getSpec().getImagePullSecrets()).isEmpty();
    assertThat(some.getSpec().getTemplate().getSpec().getImagePullSecrets())
        .extracting(LocalObjectReference::getName)
        .containsExactly("regcred");
  }

  @Test
  void monitoringObjectsAreOffByDefault() {
    List<HasMetadata> objects = HelmChart.template(Map.of());
    assertThat(objects)
        .extracting(HasMetadata::getKind)
        .doesNotContain("ServiceMonitor", "PrometheusRule", "ConfigMap");
  }

  @Test
  void theServiceMonitorScrapesTheServicesMetricsPort() {
    List<HasMetadata> objects =
        HelmChart.template(
            Map.of(
                "metrics.serviceMonitor.enabled", "true",
                "metrics.serviceMonitor.labels.release", "prometheus"));
    GenericKubernetesResource monitor = kind(objects, "ServiceMonitor");
    Service service = one(objects, Service.class);

    assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
    assertThat(service.getMetadata().getLabels())
        .containsAllEntriesOf(monitor.<Map<String, String>>get("spec", "selector", "matchLabels"));
    List<Map<String, Object>> endpoints = monitor.get("spec", "endpoints");
    assertThat(endpoints)
        .singleElement()
        .satisfies(
            endpoint -> {
              assertThat(endpoint)
                  .containsEntry("port", "metrics")
                  .containsEntry("path", "/q/metrics");
              assertThat(service.getSpec().getPorts())
                  .anySatisfy(port -> assertThat(port.getName()).isEqualTo(endpoint.get("port")));
            });
  }

  @Test
  void thePrometheusRuleAlertsOnTheOperatorsOwnSeries() {
    GenericKubernetesResource rule = kind(HelmChart.template(MONITORING), "PrometheusRule");
    List<Map<String, Object>> groups = rule.get("spec", "groups");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> rules = (List<Map<String, Object>>) groups.get(0).get("rules");

    assertThat(rules)
        .extracting(r -> r.get("alert"))
        .containsExactly(
            "GoldpanOperatorDown",
            "GoldpanReconcileErrors",
            "GoldpanReconcileSlow",
            "GoldpanJobsFailed");
    assertThat(rules)
        .allSatisfy(
            r ->
                assertThat((String) r.get("expr"))
                    .contains("namespace=\"" + HelmChart.NAMESPACE + "\", service=\"goldpan\""));
    // Prometheus, not Helm, fills in $value.
    assertThat(rules)
        .filteredOn(r -> !r.get("alert").equals("GoldpanOperatorDown"))
        .allSatisfy(
            r ->
                assertThat(((Map<?, ?>) r.get("annotations")).get("description").toString())
                    .contains("{{ $value }}"));
  }

  @Test
  void theGrafanaDashboardIsTheChartsFileForTheSidecar() throws IOException {
    ConfigMap dashboard = one(HelmChart.template(MONITORING), ConfigMap.class);
    String file = Files.readString(HelmChart.chart().resolve("dashboards").resolve("goldpan.json"));

    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    JsonNode json = new ObjectMapper().readTree(dashboard.getData().get("goldpan.json"));
    assertThat(json).isEqualTo(new ObjectMapper().readTree(file));
    assertThat(json.path("panels").size()).isGreaterThanOrEqualTo(4);
  }

  private static GenericKubernetesResource kind(List<HasMetadata> objects, String kind) {
    List<GenericKubernetesResource> matches =
        all(objects, GenericKubernetesResource.class).stream()
            .filter(object -> kind.equals(object.getKind()))
            .toList();
    assertThat(matches).as(kind).hasSize(1);
    return matches.get(0);
  }

  private static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
    List<T> matches = all(objects, type);
    assertThat(matches).as(type.getSimpleName()).hasSize(1);
    return matches.get(0);
  }
}
