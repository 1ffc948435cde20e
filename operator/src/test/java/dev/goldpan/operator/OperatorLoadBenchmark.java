package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Operator load benchmark (issue 5): starts the packaged operator as its own process against the
 * Fabric8 mock API server (or the cluster of --kubeconfig), creates N DistillationJobs at once, and
 * prints start-up time, the time until every score Job exists, reconcile latency percentiles
 * (JOSDK's timer), heap and RSS. Not a test: run it with bench/operator-load.sh.
 *
 * <p>Arguments: [--jobs N] [--kubeconfig FILE] [--max-ram SIZE] [--namespace NS] [--suspend true].
 * On a real cluster, --suspend true keeps the 500 stage Jobs from starting pods (the benchmark's
 * worker image exists nowhere); the score Jobs are still created, suspended.
 */
public final class OperatorLoadBenchmark {

  private static final int HTTP_PORT = 18080;
  private static final int MANAGEMENT_PORT = 19000;

  private OperatorLoadBenchmark() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    // The mock server logs every request; at 500 jobs that logging is most of its time.
    java.util.logging.Logger.getLogger("io.fabric8.mockwebserver")
        .setLevel(java.util.logging.Level.WARNING);
    int jobs = Integer.parseInt(options.getOrDefault("jobs", "500"));
    String maxRam = options.getOrDefault("max-ram", "512m");
    String namespace =
        options.getOrDefault("namespace", "bench-" + System.currentTimeMillis() % 100000);
    Path jar =
        Path.of(
            options.getOrDefault("operator-jar", "operator/target/quarkus-app/quarkus-run.jar"));
    if (!Files.exists(jar)) {
      throw new IllegalArgumentException(
          jar + " does not exist: run mvn -pl operator -am package -DskipTests");
    }

    KubernetesMockServer mock = null;
    Map<String, String> env = new HashMap<>();
    Config config;
    if (options.containsKey("kubeconfig")) {
      env.put("KUBECONFIG", options.get("kubeconfig"));
      config = Config.fromKubeconfig(Files.readString(Path.of(options.get("kubeconfig"))));
    } else {
      mock =
          new KubernetesMockServer(
              new io.fabric8.mockwebserver.Context(),
              new MockWebServer(),
              new HashMap<>(),
              new CrudApiServer.ApplyAsMerge(),
              false);
      mock.init();
      String url = mock.url("/");
      env.put("QUARKUS_KUBERNETES_CLIENT_API_SERVER_URL", url);
      env.put("QUARKUS_KUBERNETES_CLIENT_TRUST_CERTS", "true");
      config = new ConfigBuilder().withMasterUrl(url).withTrustCerts(true).build();
    }
    env.put("GOLDPAN_OPERATOR_WORKER_IMAGE", "goldpan/worker:bench");
    env.put("GOLDPAN_OPERATOR_LEADER_ELECTION_ENABLED", "false");
    env.put("QUARKUS_HTTP_PORT", Integer.toString(HTTP_PORT));
    env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(MANAGEMENT_PORT));

    config.setRequestTimeout(60_000);
    config.setMaxConcurrentRequests(64);
    config.setMaxConcurrentRequestsPerHost(64);
    try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
      MockCluster.installCrd(client);
      Path log = Path.of("operator/target/bench-operator.log");
      ProcessBuilder builder =
          new ProcessBuilder(
                  "java",
                  "-XX:MaxRAM=" + maxRam,
                  "-XX:MaxRAMPercentage=75",
                  "-jar",
                  jar.toAbsolutePath().toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      builder.environment().putAll(env);
      long launched = System.nanoTime();
      Process operator = builder.start();
      try {
        awaitReady(operator);
        double startup = seconds(launched);
        long idleRss = rssKib(operator.pid(), "VmRSS");

        long created = System.nanoTime();
        createJobs(client, namespace, jobs, Boolean.parseBoolean(options.get("suspend")));
        double creating = seconds(created);
        double allScoreJobs = awaitScoreJobs(client, namespace, jobs, created);
        double allStatuses = awaitStatuses(client, namespace, jobs, created);

        String metrics = get("http://localhost:" + MANAGEMENT_PORT + "/q/metrics");
        System.out.printf(
            "operator load benchmark: %d DistillationJobs, %s%n",
            jobs,
            mock != null
                ? "Fabric8 mock API server (CRUD)"
                : "cluster " + options.get("kubeconfig"));
        System.out.printf(
            "  JVM: -XX:MaxRAM=%s (the chart's memory limit) -XX:MaxRAMPercentage=75 (the"
                + " image's)%n",
            maxRam);
        System.out.printf("  start-up until ready:          %6.2f s%n", startup);
        System.out.printf("  RSS when idle:                 %6d MiB%n", idleRss / 1024);
        System.out.printf("  creating the jobs took:        %6.2f s%n", creating);
        System.out.printf(
            "  every score Job exists after:  %6.2f s   (goal: 60 s)%n", allScoreJobs);
        System.out.printf("  every status written after:    %6.2f s%n", allStatuses);
        for (String quantile : List.of("0.5", "0.95", "0.99")) {
          System.out.printf(
              "  reconcile p%-4s                %6.1f ms%s%n",
              (int) (Double.parseDouble(quantile) * 100),
              1000
                  * quantile(
                      metrics, "operator_sdk_controllers_execution_reconcile_seconds", quantile),
              quantile.equals("0.95") ? "   (goal: 200 ms)" : "");
        }
        System.out.printf(
            "  reconciles:                    %6.0f%n",
            sum(metrics, "operator_sdk_controllers_execution_reconcile_seconds_count"));
        System.out.printf(
            "  heap used after the run:       %6.0f MiB%n",
            sum(metrics, "jvm_memory_used_bytes{area=\"heap\"") / (1024 * 1024));
        System.out.printf(
            "  RSS after the run / peak:      %6d / %d MiB   (goal: 400 MiB)%n",
            rssKib(operator.pid(), "VmRSS") / 1024, rssKib(operator.pid(), "VmHWM") / 1024);
      } finally {
        operator.destroy();
        operator.waitFor();
        if (options.containsKey("kubeconfig")) {
          client.namespaces().withName(namespace).delete();
        }
      }
    } finally {
      if (mock != null) {
        mock.destroy();
      }
    }
    // The client's and the mock's thread pools would keep exec:java waiting.
    System.exit(0);
  }

  private static void createJobs(
      KubernetesClient client, String namespace, int jobs, boolean suspend) throws Exception {
    if (client.namespaces().withName(namespace).get() == null) {
      client
          .namespaces()
          .resource(
              new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                  .withNewMetadata()
                  .withName(namespace)
                  .endMetadata()
                  .build())
          .create();
    }
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        String name = String.format("load-%04d", i);
        done.add(
            pool.submit(
                () -> {
                  DistillationJob job = MockCluster.job(client, namespace, name);
                  job.getSpec().setSuspend(suspend);
                  return client.resource(job).create();
                }));
      }
      for (Future<?> future : done) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }
  }

  private static double awaitScoreJobs(
      KubernetesClient client, String namespace, int jobs, long since) throws InterruptedException {
    while (true) {
      long count =
          client
              .batch()
              .v1()
              .jobs()
              .inNamespace(namespace)
              .withLabel(Labels.STAGE, Stage.SCORE.id())
              .list()
              .getItems()
              .size();
      if (count >= jobs) {
        return seconds(since);
      }
      if (seconds(since) > 600) {
        throw new IllegalStateException("only " + count + " score Jobs after 600 s");
      }
      Thread.sleep(100);
    }
  }

  private static double awaitStatuses(
      KubernetesClient client, String namespace, int jobs, long since) throws InterruptedException {
    while (true) {
      long count =
          client.resources(DistillationJob.class).inNamespace(namespace).list().getItems().stream()
              .map(DistillationJob::getStatus)
              .filter(Objects::nonNull)
              .map(DistillationJobStatus::getPhase)
              .filter(Objects::nonNull)
              .count();
      if (count >= jobs) {
        return seconds(since);
      }
      if (seconds(since) > 600) {
        throw new IllegalStateException("only " + count + " statuses after 600 s");
      }
      Thread.sleep(200);
    }
  }

  private static void awaitReady(Process operator) throws InterruptedException {
    long started = System.nanoTime();
    while (seconds(started) < 120) {
      if (!operator.isAlive()) {
        throw new IllegalStateException(
            "the operator exited with "
                + operator.exitValue()
                + "; see operator/target/bench-operator.log");
      }
      try {
        HttpResponse<String> response =
            HttpClient.newHttpClient()
                .send(
                    HttpRequest.newBuilder(
                            URI.create("http://localhost:" + MANAGEMENT_PORT + "/q/health/ready"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("the operator was not ready within 120 s");
  }

  private static String get(String url) throws IOException, InterruptedException {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** The value of the first series of {@code metric} with quantile {@code q}; NaN if absent. */
  private static double quantile(String metrics, String metric, String q) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(metric + "{") && line.contains("quantile=\"" + q + "\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return Double.NaN;
  }

  /** The sum of every series whose line starts with {@code prefix}. */
  private static double sum(String metrics, String prefix) {
    double total = 0;
    for (String line : metrics.split("\n")) {
      if (line.startsWith(prefix)) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  private static long rssKib(long pid, String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option value, got " + args[i]);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    return options;
  }
}
