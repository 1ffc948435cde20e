package dev.goldpan.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The progress endpoint against real service-account tokens and a real TokenReview: only a token
 * the API server issued for the audience goldpan-progress and bound to one of the job's own pods is
 * accepted; everything else, an unknown job included, gets the same 401.
 */
@ExtendWith(E2eNamespace.class)
class ProgressAuthE2E {

  private static final String REPORT = "{\"stage\":\"score\",\"step\":3,\"totalSteps\":10}";

  private final KubernetesClient client = E2eCluster.client();
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void onlyTheJobsOwnWorkersMayReportItsProgress(String namespace) throws Exception {
    // Two jobs whose pods exist but wait (their Secret is missing): tokens can be bound to them.
    for (String name : List.of("mine", "theirs")) {
      var applied =
          E2eCluster.kubectl(
              Manifests.example(
                  namespace,
                  name,
                  "spec.output.credentialsSecret",
                  "no-such-secret",
                  "spec.resources.cpu",
                  "100m"),
              "apply",
              "-f",
              "-");
      assertThat(applied.exitCode()).as(applied.output()).isZero();
    }
    Pod mine = awaitPod(namespace, "mine-score");
    Pod theirs = awaitPod(namespace, "theirs-score");
    assertThat(mine.getSpec().getVolumes())
        .filteredOn(v -> v.getProjected() != null)
        .flatExtracting(v -> v.getProjected().getSources())
        .extracting(source -> source.getServiceAccountToken().getAudience())
        .containsExactly("goldpan-progress");

    String good = token(namespace, "goldpan-progress", mine);
    String otherPod = token(namespace, "goldpan-progress", theirs);
    String unbound = token(namespace, "goldpan-progress", null);
    String apiAudience = token(namespace, null, mine);

    // To a ready operator pod that is not terminating, not to the Service (see readyOperatorPod).
    Pod operator = E2eCluster.readyOperatorPod();
    try (LocalPortForward forward =
        client
            .pods()
            .inNamespace(E2eCluster.OPERATOR_NAMESPACE)
            .withName(operator.getMetadata().getName())
            .portForward(8080)) {
      String base = "http://127.0.0.1:" + forward.getLocalPort() + "/progress/" + namespace + "/";

      HttpResponse<String> denied = post(base + "mine", "not-a-token", REPORT);
      assertThat(denied.statusCode()).isEqualTo(401);
      for (String refused : List.of(otherPod, unbound, apiAudience)) {
        HttpResponse<String> response = post(base + "mine", refused, REPORT);
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).isEqualTo(denied.body());
      }
      HttpResponse<String> unknown = post(base + "nobody", good, REPORT);
      assertThat(unknown.statusCode()).isEqualTo(401);
      assertThat(unknown.body()).isEqualTo(denied.body());
      assertThat(E2eCluster.job(namespace, "mine").getStatus().getProgress()).isNull();

      HttpResponse<String> accepted = post(base + "mine", good, REPORT);
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
      assertThat(E2eCluster.job(namespace, "mine").getStatus().getProgress().getStep())
          .isEqualTo(3L);
    }
  }

  private HttpResponse<String> post(String url, String token, String body)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(20))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * A token of the namespace's default service account, as the kubelet projects it into a pod: for
   * {@code audience} (null: the API server's) and bound to {@code pod} (null: to nothing).
   */
  private static String token(String namespace, String audience, Pod pod) {
    List<String> args =
        new java.util.ArrayList<>(List.of("create", "token", "default", "-n", namespace));
    if (audience != null) {
      args.add("--audience=" + audience);
    }
    if (pod != null) {
      args.addAll(
          List.of(
              "--bound-object-kind=Pod",
              "--bound-object-name=" + pod.getMetadata().getName(),
              "--bound-object-uid=" + pod.getMetadata().getUid()));
    }
    var result = E2eCluster.kubectl(null, args.toArray(String[]::new));
    assertThat(result.exitCode()).as(result.output()).isZero();
    return result.output().trim();
  }

  private static Pod awaitPod(String namespace, String job) {
    return await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> E2eCluster.stagePods(namespace, job), pods -> !pods.isEmpty())
        .get(0);
  }
}
