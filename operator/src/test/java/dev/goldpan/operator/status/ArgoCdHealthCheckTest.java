package dev.goldpan.operator.status;

import static dev.goldpan.operator.status.StatusAggregatorTest.aggregate;
import static dev.goldpan.operator.status.StatusAggregatorTest.complete;
import static dev.goldpan.operator.status.StatusAggregatorTest.failed;
import static dev.goldpan.operator.status.StatusAggregatorTest.job;
import static dev.goldpan.operator.status.StatusAggregatorTest.running;
import static dev.goldpan.operator.status.StatusAggregatorTest.unschedulable;
import static dev.goldpan.operator.status.StatusAggregatorTest.waiting;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.ProgressStatus;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.luaj.vm2.Globals;
import org.luaj.vm2.LuaTable;
import org.luaj.vm2.LuaValue;
import org.luaj.vm2.lib.jse.JsePlatform;

/**
 * The Argo CD health check that docs/argocd/argocd-cm.yaml ships, run by a Lua interpreter against
 * DistillationJobs whose status the operator's {@link StatusAggregator} wrote, serialised as the
 * API server serves them.
 */
class ArgoCdHealthCheckTest {

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
  private static final String HEALTH_KEY =
      "resource.customizations.health.goldpan.dev_DistillationJob";

  private static final String SPEC =
      """
      dataset:
        format: idx
        source: pvc://fashion-mnist/
      output:
        location: s3://goldpan/x
      """;

  private record Health(String status, String message) {}

  @Test
  void aJobTheOperatorHasNotSeenIsProgressing() {
    DistillationJob fresh = job(SPEC);

    assertThat(health(fresh))
        .isEqualTo(
            new Health("Progressing", "Waiting for the Goldpan operator to observe the job"));

    DistillationJob stale = withStatus(job(SPEC), List.of(), List.of());
    stale.getMetadata().setGeneration(4L);
    assertThat(health(stale))
        .isEqualTo(
            new Health("Progressing", "Waiting for the Goldpan operator to observe generation 4"));
  }

  @Test
  void pendingAndRunningJobsAreProgressing() {
    DistillationJob pending = withStatus(job(SPEC), List.of(), List.of());
    assertThat(health(pending)).isEqualTo(new Health("Progressing", "Pending"));

    DistillationJob dj = job(SPEC);
    DistillationJob distilling =
        withStatus(dj, List.of(complete(dj, "score"), running(dj, "distill")), List.of());
    ProgressStatus progress = new ProgressStatus();
    progress.setStage("distill");
    progress.setPercent(42);
    distilling.getStatus().setProgress(progress);
    assertThat(health(distilling)).isEqualTo(new Health("Progressing", "Distilling: 42 %"));
  }

  @Test
  void aJobQueuedByKueueIsProgressingAndSaysSo() {
    DistillationJob dj = job(SPEC);
    Job held =
        new JobBuilder(running(dj, "score"))
            .editMetadata()
            .addToLabels("kueue.x-k8s.io/queue-name", "team-a-queue")
            .endMetadata()
            .editSpec()
            .withSuspend(true)
            .endSpec()
            .build();

    assertThat(health(withStatus(dj, List.of(held), List.of())))
        .isEqualTo(
            new Health(
                "Progressing",
                "Scoring, Queued: Job fmnist-score waits for Kueue to admit it from LocalQueue"
                    + " team-a-queue"));
  }

  @Test
  void anUnschedulablePodIsProgressingAndAPodThatCannotStartIsDegraded() {
    DistillationJob dj = job(SPEC);
    Pod unschedulable = unschedulable("score");
    Pod noImage =
        waiting("score")
            .editStatus()
            .addNewContainerStatus()
            .withName("worker")
            .withNewState()
            .withNewWaiting()
            .withReason("ImagePullBackOff")
            .withMessage("Back-off pulling image \"registry.example/none:1\"")
            .endWaiting()
            .endState()
            .endContainerStatus()
            .endStatus()
            .build();

    Health noNode = health(withStatus(dj, List.of(running(dj, "score")), List.of(unschedulable)));
    Health noPull = health(withStatus(dj, List.of(running(dj, "score")), List.of(noImage)));

    assertThat(noNode.status()).isEqualTo("Progressing");
    assertThat(noNode.message())
        .isEqualTo(
            "Scoring, Unschedulable: pod fmnist-score-0 cannot be scheduled: 0/1 nodes are"
                + " available: 1 Insufficient nvidia.com/gpu.");
    assertThat(noPull.status()).isEqualTo("Degraded");
    assertThat(noPull.message())
        .startsWith("Scoring, ImagePullBackOff: pod fmnist-score-0 cannot start")
        .contains("registry.example/none:1");
  }

  @Test
  void aSucceededJobIsHealthyWithItsAccuracy() {
    DistillationJob dj = job(SPEC);
    List<Job> jobs =
        List.of(complete(dj, "score"), complete(dj, "distill"), complete(dj, "evaluate"));
    Pod evaluated =
        StatusAggregatorTest.pod(
            "evaluate",
            0,
            0,
            T0,
            "{\"stage\":\"evaluate\",\"status\":\"Succeeded\",\"accuracyMean\":0.8123,"
                + "\"accuracyStd\":0.0042,\"models\":5,\"message\":\"done\"}");

    assertThat(health(withStatus(dj, jobs, List.of(evaluated))))
        .isEqualTo(
            new Health("Healthy", "Succeeded: test accuracy 81.23 %; artifacts in s3://goldpan/x"));
  }

  @Test
  void aFailedJobIsDegradedWithTheFailedConditionsReasonAndMessage() {
    DistillationJob dj = job(SPEC);
    List<Job> jobs =
        List.of(
            complete(dj, "score"),
            failed(dj, "distill", "BackoffLimitExceeded", "Job has reached the backoff limit"));

    assertThat(health(withStatus(dj, jobs, List.of())))
        .isEqualTo(
            new Health(
                "Degraded",
                "BackoffLimitExceeded: the distill stage failed: BackoffLimitExceeded: Job has"
                    + " reached the backoff limit"));
  }

  @Test
  void aSuspendedJobIsSuspended() {
    DistillationJob dj = job(SPEC + "suspend: true\n");
    Job suspended =
        new JobBuilder(running(dj, "score")).editSpec().withSuspend(true).endSpec().build();

    assertThat(health(withStatus(dj, List.of(suspended), List.of())))
        .isEqualTo(new Health("Suspended", "spec.suspend is true"));
  }

  /** {@code job} with the status the operator computes from {@code jobs} and {@code pods}. */
  private static DistillationJob withStatus(DistillationJob job, List<Job> jobs, List<Pod> pods) {
    job.setStatus(aggregate(job, jobs, pods, T0));
    return job;
  }

  /** What the health check says of {@code job}, given to it as Argo CD does: a table `obj`. */
  private static Health health(DistillationJob job) {
    Globals lua = JsePlatform.standardGlobals();
    lua.set("obj", toLua(JSON.valueToTree(SERIALIZATION.convertValue(job, Map.class))));
    LuaValue result = lua.load(script(), "health.lua").call();
    return new Health(result.get("status").tojstring(), result.get("message").tojstring());
  }

  private static String script() {
    Path file =
        Path.of(System.getProperty("goldpan.repository", ".."))
            .resolve("docs/argocd/argocd-cm.yaml");
    try {
      ConfigMap configMap = SERIALIZATION.unmarshal(Files.readString(file), ConfigMap.class);
      return configMap.getData().get(HEALTH_KEY);
    } catch (IOException e) {
      throw new AssertionError("cannot read " + file, e);
    }
  }

  /** JSON as a Lua value: objects and arrays become tables (arrays from index 1), as in Argo CD. */
  private static LuaValue toLua(JsonNode node) {
    if (node.isObject()) {
      LuaTable table = new LuaTable();
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (!field.getValue().isNull()) {
          table.set(field.getKey(), toLua(field.getValue()));
        }
      }
      return table;
    }
    if (node.isArray()) {
      LuaTable table = new LuaTable();
      for (int i = 0; i < node.size(); i++) {
        table.set(i + 1, toLua(node.get(i)));
      }
      return table;
    }
    if (node.isNumber()) {
      return LuaValue.valueOf(node.asDouble());
    }
    if (node.isBoolean()) {
      return LuaValue.valueOf(node.asBoolean());
    }
    return LuaValue.valueOf(node.asText());
  }
}
