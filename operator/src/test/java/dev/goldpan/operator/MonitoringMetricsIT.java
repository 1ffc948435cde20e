package dev.goldpan.operator;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.operator.chart.HelmChart;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The chart's PrometheusRule and Grafana dashboard query series that the operator really exports at
 * /q/metrics once a job has run.
 */
@QuarkusTest
@QuarkusTestResource(CrudApiServer.class)
class MonitoringMetricsIT {

  /** The management port of the test profile (quarkus.management.test-port). */
  private static final String METRICS = "http://localhost:9001/q/metrics";

  /** Series names in PromQL: the operator's, JOSDK's and the JVM's. */
  private static final Pattern SERIES =
      Pattern.compile("\\b((?:goldpan|operator_sdk|jvm)_[a-z0-9_]+)\\b");

  private final KubernetesClient client = CrudApiServer.testClient();

  @Test
  void everySeriesTheAlertsAndTheDashboardQueryIsExported() throws IOException {
    MockCluster.installCrd(client);
    String namespace = MockCluster.namespace();
    JobController jobs = new JobController(client);
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "monitored")).create();
    jobs.start(dj, Stage.SCORE);
    jobs.succeed(dj, Stage.SCORE, "{\"stage\":\"score\",\"message\":\"scored\"}");
    jobs.succeed(dj, Stage.DISTILL, "{\"stage\":\"distill\",\"syntheticImages\":100}");
    jobs.succeed(dj, Stage.EVALUATE, "{\"stage\":\"evaluate\",\"accuracyMean\":0.7}");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> given().get(METRICS).asString(),
            text -> text.contains("goldpan_jobs_finished_total"));
    String exported = given().get(METRICS).asString();

    Set<String> queried = new TreeSet<>();
    for (HasMetadata object :
        HelmChart.template(Map.of("metrics.prometheusRule.enabled", "true"))) {
      if (object instanceof GenericKubernetesResource rule
          && "PrometheusRule".equals(rule.getKind())) {
        queried.addAll(series(client.getKubernetesSerialization().asJson(rule.get("spec"))));
      }
    }
    queried.addAll(
        series(Files.readString(HelmChart.chart().resolve("dashboards").resolve("goldpan.json"))));
    // Counted only when a reconcile throws, which this run does not do.
    String reconcileErrors = StageTransitions.RECONCILE_ERRORS.replace('.', '_') + "_total";

    // GoldpanReconcileSlow and the dashboard read the timer's client-side percentiles.
    assertThat(exported)
        .containsPattern(
            "operator_sdk_controllers_execution_reconcile_seconds\\{[^}]*quantile=\"0.95\"");
    // Per controller, never per job: series per job would grow with the number of jobs.
    assertThat(exported.lines().filter(line -> !line.startsWith("#")))
        .as("series tagged with a DistillationJob's name")
        .noneMatch(line -> line.contains("resource_name=") || line.contains("\"monitored\""));
    assertThat(queried)
        .contains(
            reconcileErrors, "goldpan_jobs_finished_total", "goldpan_stage_duration_seconds_bucket")
        .filteredOn(name -> !name.equals(reconcileErrors))
        .allSatisfy(
            name ->
                assertThat(exported)
                    .as("/q/metrics exports %s", name)
                    .containsPattern("(?m)^" + Pattern.quote(name) + "[{ ]"));
  }

  private static Set<String> series(String text) {
    Set<String> names = new TreeSet<>();
    Matcher matcher = SERIES.matcher(text);
    while (matcher.find()) {
      names.add(matcher.group(1));
    }
    return names;
  }
}
