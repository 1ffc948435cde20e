package dev.goldpan.operator;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.ProgressStatus;
import dev.goldpan.api.v1alpha1.StageState;
import dev.goldpan.operator.progress.ProgressService;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code POST /progress/{namespace}/{name}} against the mock API server. */
@QuarkusTest
@QuarkusTestResource(CrudApiServer.class)
class ProgressEndpointIT {

  private final KubernetesClient client = CrudApiServer.testClient();

  @Inject OperatorCaches caches;
  @Inject OperatorConfig config;

  /** The management port of the test profile (quarkus.management.test-port). */
  private static final String METRICS = "http://localhost:9001/q/metrics";

  private JobController jobs;
  private String namespace;

  @BeforeEach
  void setUp() {
    MockCluster.installCrd(client);
    jobs = new JobController(client);
    namespace = MockCluster.namespace();
  }

  @Test
  void refusesReportsWithoutAWorkersTokenAlikeForUnknownJobsAndChecksTheBodyOnlyThen() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "guarded")).create();
    String token = workerToken(dj);
    String path = "/progress/" + namespace + "/guarded";
    String report = "{\"stage\":\"distill\",\"step\":1,\"totalSteps\":10,\"loss\":0.5}";

    String denied = given().body(report).post(path).then().statusCode(401).extract().asString();
    assertThat(denied).contains("does not belong to a worker pod of this DistillationJob");
    given().auth().oauth2("not-a-token").body(report).post(path).then().statusCode(401);
    // A malformed body is only looked at once the token is accepted.
    given().auth().oauth2("not-a-token").body("{").post(path).then().statusCode(401);
    // An unknown job answers as a bad token does: nobody learns which jobs exist.
    String unknown =
        given()
            .auth()
            .oauth2(token)
            .body(report)
            .post("/progress/" + namespace + "/nobody")
            .then()
            .statusCode(401)
            .extract()
            .asString();
    assertThat(unknown).isEqualTo(denied);
    given()
        .auth()
        .oauth2(token)
        .body(report)
        .post("/progress/other-namespace/guarded")
        .then()
        .statusCode(401);
    given()
        .auth()
        .oauth2(token)
        .body("{\"stage\":")
        .post(path)
        .then()
        .statusCode(400)
        .body(containsString("not JSON"));
    given()
        .auth()
        .oauth2(token)
        .body("{\"stage\":\"distill\",\"step\":11,\"totalSteps\":10}")
        .post(path)
        .then()
        .statusCode(400)
        .body(containsString("step must be <= totalSteps"));
    given()
        .auth()
        .oauth2(token)
        .body("{\"stage\":\"distill\",\"step\":\"x\",\"totalSteps\":10}")
        .post(path)
        .then()
        .statusCode(400)
        .body(containsString("step must be a whole number"));
    given()
        .auth()
        .oauth2(token)
        .body("{\"step\":1,\"totalSteps\":10}")
        .post(path)
        .then()
        .statusCode(400)
        .body(containsString("stage"));

    // Another job's worker, and a pod of the namespace that is no worker at all.
    DistillationJob other = client.resource(MockCluster.job(client, namespace, "other")).create();
    given().auth().oauth2(workerToken(other)).body(report).post(path).then().statusCode(401);
    Pod stranger =
        client
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName("stranger")
                    .withNamespace(namespace)
                    .endMetadata()
                    .withNewSpec()
                    .addNewContainer()
                    .withName("c")
                    .withImage("busybox")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    given()
        .auth()
        .oauth2(CrudApiServer.workerToken(stranger))
        .body(report)
        .post(path)
        .then()
        .statusCode(401);
    assertThat(current("guarded").getStatus().getProgress())
        .as("no refused report reached the status")
        .isNull();
  }

  @Test
  void theWorkersOfADeletedJobCannotReportToItsSuccessor() {
    DistillationJob first = client.resource(MockCluster.job(client, namespace, "again")).create();
    String oldToken = workerToken(first);
    client.resource(first).delete();
    await().atMost(Duration.ofSeconds(10)).until(() -> current("again") == null);
    DistillationJob second = client.resource(MockCluster.job(client, namespace, "again")).create();
    assertThat(second.getMetadata().getUid()).isNotEqualTo(first.getMetadata().getUid());
    String path = "/progress/" + namespace + "/again";
    String report = "{\"stage\":\"score\",\"step\":1,\"totalSteps\":10}";

    given().auth().oauth2(oldToken).body(report).post(path).then().statusCode(401);
    given().auth().oauth2(workerToken(second)).body(report).post(path).then().statusCode(200);
  }

  @Test
  void writesProgressCoalescesBurstsAndSurvivesTheReconcilersStatusPatches() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "watched")).create();
    String token = workerToken(dj);
    String path = "/progress/" + namespace + "/watched";

    given()
        .auth()
        .oauth2(token)
        .body("{\"stage\":\"score\",\"step\":50,\"totalSteps\":200,\"loss\":0.75}")
        .post(path)
        .then()
        .statusCode(200);
    ProgressStatus first = current("watched").getStatus().getProgress();
    assertThat(first.getStage()).isEqualTo("score");
    assertThat(first.getStep()).isEqualTo(50);
    assertThat(first.getTotalSteps()).isEqualTo(200);
    assertThat(first.getPercent()).isEqualTo(25);
    assertThat(first.getLoss()).isEqualTo(0.75);
    assertThat(first.getUpdatedAt()).isNotNull();

    // Inside the 1 s interval of the test profile: coalesced, and the newest report wins.
    given()
        .auth()
        .oauth2(token)
        .body("{\"stage\":\"score\",\"step\":60,\"totalSteps\":200}")
        .post(path)
        .then()
        .statusCode(202);
    given()
        .auth()
        .oauth2(token)
        .body("{\"stage\":\"score\",\"step\":100,\"totalSteps\":200,\"loss\":0.5}")
        .post(path)
        .then()
        .statusCode(202);
    assertThat(current("watched").getStatus().getProgress().getStep()).isEqualTo(50);
    ProgressStatus flushed =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> current("watched").getStatus().getProgress(), p -> p.getStep() == 100);
    assertThat(flushed.getPercent()).isEqualTo(50);
    assertThat(flushed.getLoss()).isEqualTo(0.5);
    assertThat(flushed.getEtaSeconds()).isNotNull().isGreaterThanOrEqualTo(0L);

    // The reconciler patches the status when the score Job starts; progress must stay.
    jobs.start(dj, Stage.SCORE);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> current("watched").getStatus().getStages().getScore().getState(),
            state -> state == StageState.RUNNING);
    assertThat(current("watched").getStatus().getProgress().getStep()).isEqualTo(100);
    assertThat(current("watched").getStatus().getProgress().getStage()).isEqualTo("score");
  }

  /**
   * Workers send their reports in the background, and a stage's last step right after the one
   * before, so an older report of a pod can arrive after a newer one. It must not put the status
   * back; a lower step from another pod (a retried shard starts again) still counts.
   */
  @Test
  void aReportOvertakenInFlightByALaterOneOfTheSamePodIsDropped() throws InterruptedException {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "overtaken")).create();
    String token = workerToken(dj);
    String path = "/progress/" + namespace + "/overtaken";
    given().auth().oauth2(token).body(report(1, 200)).post(path).then().statusCode(200);

    // Inside the interval: the last step, then a late one from before it.
    given().auth().oauth2(token).body(report(200, 200)).post(path).then().statusCode(202);
    given().auth().oauth2(token).body(report(150, 200)).post(path).then().statusCode(202);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> current("overtaken").getStatus().getProgress().getStep(), s -> s != 1);
    // Two intervals (of the test profile's 1 s) later, nothing has replaced it.
    Thread.sleep(2_500);
    assertThat(current("overtaken").getStatus().getProgress().getStep()).isEqualTo(200);

    // Another pod of the job (a retry starts its stage again) is heard at its lower steps.
    Pod retry = workerPod(dj, "-retry");
    given()
        .auth()
        .oauth2(CrudApiServer.workerToken(retry))
        .body(report(3, 200))
        .post(path)
        .then()
        .statusCode(anyOf(is(200), is(202)));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> current("overtaken").getStatus().getProgress().getStep(), s -> s == 3);
  }

  /**
   * Issue 12: under a flood of reports the endpoint must keep to its write budget without asking
   * the API server anything per report. Once a worker's token has been reviewed and the job and its
   * pod are in the operator's caches, a burst of reports costs no TokenReview, no read of the job
   * or of a pod, and at most one status write per progress interval.
   */
  @Test
  void aBurstOfReportsMakesNoTokenReviewNoJobOrPodReadAndAtMostOneWritePerInterval() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "flooded")).create();
    Pod pod = workerPod(dj);
    String token = CrudApiServer.workerToken(pod);
    String path = "/progress/" + namespace + "/flooded";
    int reports = 200;
    long start = System.nanoTime();
    // The first report reviews the token (and may read what the caches lack yet).
    given().auth().oauth2(token).body(report(1, reports)).post(path).then().statusCode(200);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                caches.job(namespace, "flooded").isPresent()
                    && caches.pod(namespace, pod.getMetadata().getName()).isPresent());
    int mark = CrudApiServer.operatorRequestMark();

    for (int step = 2; step <= reports; step++) {
      given()
          .auth()
          .oauth2(token)
          .body(report(step, reports))
          .post(path)
          .then()
          .statusCode(anyOf(is(200), is(202)));
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> current("flooded").getStatus().getProgress().getStep(), step -> step == reports);
    Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

    List<String> requests = CrudApiServer.operatorRequestsSince(mark);
    Map<String, Long> byKind =
        requests.stream()
            .collect(Collectors.groupingBy(r -> r, TreeMap::new, Collectors.counting()));
    String observed = reports + " reports in " + elapsed.toMillis() + " ms: " + byKind;
    assertThat(count(requests, "authentication.k8s.io tokenreviews create "))
        .as("TokenReviews in " + observed)
        .isZero();
    String jobKind = DistillationJob.GROUP + " distillationjobs ";
    assertThat(
            count(
                requests, jobKind + "get ", jobKind + "list ", "core pods get ", "core pods list "))
        .as("reads of jobs or pods in " + observed)
        .isZero();
    // Each write in the window comes at least one interval after the one before it, the first
    // one interval after the first report's: no more than elapsed / interval of them (the test
    // profile's 1 s; 200 reports take a few seconds), one more for the test's and the operator's
    // clocks. Unbatched, there would be one per report.
    Duration interval = config.progress().minInterval();
    long progressWrites =
        count(
            requests,
            DistillationJob.GROUP
                + " distillationjobs/status patch flooded "
                + ProgressService.FIELD_MANAGER);
    assertThat(progressWrites)
        .as("progress writes in " + observed)
        .isBetween(1L, elapsed.toMillis() / interval.toMillis() + 1);
  }

  @Test
  void exposesPrometheusMetricsAndHealthOnTheManagementPort() {
    DistillationJob dj = client.resource(MockCluster.job(client, namespace, "measured")).create();
    jobs.start(dj, Stage.SCORE);
    jobs.succeed(dj, Stage.SCORE, "{\"stage\":\"score\",\"message\":\"scored\"}");
    jobs.succeed(dj, Stage.DISTILL, "{\"stage\":\"distill\",\"syntheticImages\":100}");
    jobs.succeed(dj, Stage.EVALUATE, "{\"stage\":\"evaluate\",\"accuracyMean\":0.7}");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> given().get(METRICS).asString(),
            text -> text.contains("goldpan_jobs_finished_total"));
    String text = given().get(METRICS).asString();
    assertThat(text)
        .contains("goldpan_jobs_finished_total{result=\"Succeeded\"}")
        .contains("goldpan_stage_duration_seconds_count{result=\"Succeeded\",stage=\"score\"}");
    String health = METRICS.replace("/q/metrics", "/q/health/ready");
    given().get(health).then().statusCode(200);
  }

  private DistillationJob current(String name) {
    return client.resources(DistillationJob.class).inNamespace(namespace).withName(name).get();
  }

  /**
   * How many of {@code requests} (lines of CrudApiServer#OPERATOR_REQUESTS) start with any of
   * {@code kinds}.
   */
  private static long count(List<String> requests, String... kinds) {
    return requests.stream().filter(r -> Arrays.stream(kinds).anyMatch(r::startsWith)).count();
  }

  private static String report(int step, int totalSteps) {
    return "{\"stage\":\"distill\",\"step\":" + step + ",\"totalSteps\":" + totalSteps + "}";
  }

  /** The progress token of a worker pod of {@code dj}'s score stage (see {@link #workerPod}). */
  /**
   * The endpoint reads the controller's informer caches, which keep trimmed objects: no managed
   * fields, and of a worker pod no containers (TrimmedStores). The caches still answer for the job
   * and its pod, which is all the endpoint needs.
   */
  @Test
  void theCachesTheEndpointReadsHoldTrimmedObjects() {
    DistillationJob created = MockCluster.job(client, namespace, "trimmed");
    created
        .getMetadata()
        .setManagedFields(
            List.of(
                new ManagedFieldsEntryBuilder().withManager("kubectl-client-side-apply").build()));
    DistillationJob dj = client.resource(created).create();
    assertThat(dj.getMetadata().getManagedFields())
        .as("the mock API server keeps managed fields, so the cache has some to trim")
        .isNotEmpty();
    Pod pod = workerPod(dj);

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                caches.job(namespace, "trimmed").isPresent()
                    && caches.pod(namespace, pod.getMetadata().getName()).isPresent());
    assertThat(caches.job(namespace, "trimmed").orElseThrow().getMetadata().getManagedFields())
        .isNullOrEmpty();
    Pod cached = caches.pod(namespace, pod.getMetadata().getName()).orElseThrow();
    assertThat(cached.getSpec().getContainers()).isNullOrEmpty();
    assertThat(cached.getMetadata().getUid()).isEqualTo(pod.getMetadata().getUid());
    assertThat(cached.getMetadata().getLabels()).containsEntry(Labels.JOB, "trimmed");
  }

  private String workerToken(DistillationJob dj) {
    return CrudApiServer.workerToken(workerPod(dj));
  }

  /** A worker pod of {@code dj}'s score stage, labelled as the operator's stage Jobs label them. */
  private Pod workerPod(DistillationJob dj) {
    return workerPod(dj, "");
  }

  /** Another worker pod of {@code dj}'s score stage, its name ending in {@code suffix}. */
  private Pod workerPod(DistillationJob dj, String suffix) {
    return client
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(
                    dj.getMetadata().getName() + "-score-0-" + dj.getMetadata().getUid() + suffix)
                .withNamespace(namespace)
                .addToLabels(Labels.stage(dj, Stage.SCORE))
                .addToLabels(Labels.JOB_UID, dj.getMetadata().getUid())
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("worker")
                .withImage("goldpan/worker:test")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }
}
