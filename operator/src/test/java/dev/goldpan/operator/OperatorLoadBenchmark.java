package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import dev.goldpan.api.v1alpha1.ProgressStatus;
import dev.goldpan.operator.progress.ProgressAuthenticator;
import dev.goldpan.operator.progress.ProgressService;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Operator load benchmark (issues 5 and 12): starts the packaged operator as its own process, with
 * the chart's memory limit, against the Fabric8 mock API server or the cluster of --kubeconfig. Not
 * a test: run it with bench/operator-load.sh, which says what the options mean.
 *
 * <p>Mode jobs: N DistillationJobs created at once; prints start-up time, the time until every
 * score Job exists and every status is written, reconcile latency percentiles (JOSDK's timer), the
 * number of metric series, heap and RSS.
 *
 * <p>Mode progress (a real API server only: it checks the tokens): N suspended DistillationJobs,
 * one fake worker pod each (Pending for good: its nodeSelector matches no node) with a bound token
 * for the progress audience, then reports at a fixed rate; prints the report latency percentiles,
 * how long the last report of each job took to reach its status (the write budget is the operator's
 * progress.min-interval, 2 s), and the API server's requests per report.
 */
public final class OperatorLoadBenchmark {

  private static final int HTTP_PORT = 18080;
  private static final int MANAGEMENT_PORT = 19000;
  private static final Path LOG = Path.of("operator/target/bench-operator.log");
  private static final Path METRICS = Path.of("operator/target/bench-metrics.txt");

  /** Held, as JUL keeps loggers only weakly: its level would be lost with it. */
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  /** How long to wait for every score Job and every status (--timeout, seconds). */
  private static int timeout = 900;

  private OperatorLoadBenchmark() {}

  public static void main(String[] args) throws Exception {
    try {
      run(options(args));
    } catch (Exception e) {
      e.printStackTrace();
      // The client's and the mock's thread pools would keep the JVM waiting.
      System.exit(1);
    }
    System.exit(0);
  }

  private static void run(Map<String, String> options) throws Exception {
    // The mock server logs every request; at 500 jobs that logging is most of its time.
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    String mode = options.getOrDefault("mode", "jobs");
    timeout = Integer.parseInt(options.getOrDefault("timeout", "900"));
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
    if (!mode.equals("jobs") && !mode.equals("progress")) {
      throw new IllegalArgumentException("--mode is jobs or progress, not " + mode);
    }
    boolean real = options.containsKey("kubeconfig");
    if (mode.equals("progress") && !real) {
      throw new IllegalArgumentException(
          "--mode progress needs a real API server (--kubeconfig): it checks the workers' tokens");
    }

    KubernetesMockServer mock = null;
    Map<String, String> env = new HashMap<>();
    Config config;
    if (real) {
      env.put("KUBECONFIG", options.get("kubeconfig"));
      config = Config.fromKubeconfig(Files.readString(Path.of(options.get("kubeconfig"))));
      // Only the benchmark's namespace: other namespaces of a shared cluster are left alone.
      env.put("QUARKUS_OPERATOR_SDK_NAMESPACES", namespace);
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
      String paused = options.get("pause-deployment");
      Integer replicas = paused == null ? null : scale(client, paused, 0);
      Process operator = null;
      try {
        MockCluster.installCrd(client);
        createNamespace(client, namespace, real && mode.equals("jobs"));
        List<String> command = new ArrayList<>(List.of("java", "-XX:MaxRAM=" + maxRam));
        command.add("-XX:MaxRAMPercentage=75");
        if (options.containsKey("jfr")) {
          command.add(
              "-XX:StartFlightRecording=settings=profile,filename="
                  + Path.of(options.get("jfr")).toAbsolutePath());
        }
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        ProcessBuilder builder =
            new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(LOG.toFile());
        builder.environment().putAll(env);
        long launched = System.nanoTime();
        operator = builder.start();
        awaitReady(operator);
        double startup = seconds(launched);
        long idleRss = rssKib(operator.pid(), "VmRSS");

        System.out.printf(
            "operator load benchmark, mode %s: %d DistillationJobs, %s%n",
            mode,
            jobs,
            real ? "cluster " + options.get("kubeconfig") : "Fabric8 mock API server (CRUD)");
        System.out.printf(
            "  JVM: -XX:MaxRAM=%s (the chart's memory limit) -XX:MaxRAMPercentage=75 (the"
                + " image's)%n",
            maxRam);
        System.out.printf("  start-up until ready:          %6.2f s%n", startup);
        System.out.printf("  RSS when idle:                 %6d MiB%n", idleRss / 1024);
        if (mode.equals("jobs")) {
          loadJobs(client, namespace, jobs);
        } else {
          loadProgress(client, namespace, jobs, options);
        }
        printMemory(operator);
      } finally {
        if (operator != null) {
          operator.destroy();
          operator.waitFor();
        }
        if (real) {
          client.namespaces().withName(namespace).delete();
        }
        if (replicas != null) {
          scale(client, paused, replicas);
        }
      }
    } finally {
      if (mock != null) {
        mock.destroy();
      }
    }
  }

  private static void loadJobs(KubernetesClient client, String namespace, int jobs)
      throws Exception {
    long created = System.nanoTime();
    double[] createMillis = createJobs(client, namespace, jobs, false);
    double creating = seconds(created);
    double allScoreJobs = awaitScoreJobs(client, namespace, jobs, created);
    double allStatuses =
        Double.isNaN(allScoreJobs) ? Double.NaN : awaitStatuses(client, namespace, jobs, created);

    String metrics = get("http://localhost:" + MANAGEMENT_PORT + "/q/metrics");
    Files.writeString(METRICS, metrics);
    System.out.printf("  creating the jobs took:        %6.2f s%n", creating);
    // What one write costs on this API server during the burst: a reconcile that creates a child
    // cannot be faster than one such write.
    Arrays.sort(createMillis);
    System.out.printf(
        "  one create (client, 16 at once) p50 %.0f ms, p95 %.0f ms%n",
        createMillis[createMillis.length / 2],
        createMillis[(int) Math.min(createMillis.length - 1, 0.95 * createMillis.length)]);
    System.out.printf("  every score Job exists after:  %6.2f s%n", allScoreJobs);
    System.out.printf("  every status written after:    %6.2f s%n", allStatuses);
    String timer = "operator_sdk_controllers_execution_reconcile_seconds";
    for (double q : new double[] {0.5, 0.95, 0.99}) {
      System.out.printf(
          "  reconcile p%-4d             <= %6.0f ms%s%n",
          (int) (q * 100),
          1000 * histogramQuantile(metrics, timer + "_bucket", q),
          q == 0.95 ? "   (goal: 200 ms)" : "");
    }
    System.out.printf(
        "  reconciles:                    %6.0f%n",
        sum(metrics, "operator_sdk_controllers_execution_reconcile_seconds_count"));
    System.out.printf(
        "  metric series (operator_sdk):  %6d (%d)%n",
        series(metrics, ""), series(metrics, "operator_sdk_"));
  }

  /**
   * Namespace {@code name}; with {@code noPods}, a ResourceQuota of zero pods, so that the stage
   * Jobs exist but no worker pod is ever created: a shared machine could not run thousands of pods,
   * and the benchmark measures the operator, not the kubelet or the scheduler.
   */
  private static void createNamespace(KubernetesClient client, String name, boolean noPods) {
    if (client.namespaces().withName(name).get() == null) {
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
          .create();
    }
    if (noPods) {
      client
          .resource(
              new ResourceQuotaBuilder()
                  .withNewMetadata()
                  .withName("no-pods")
                  .withNamespace(name)
                  .endMetadata()
                  .withNewSpec()
                  .addToHard("pods", new Quantity("0"))
                  .endSpec()
                  .build())
          .create();
    }
  }

  /** Creates the jobs, 16 at a time; the milliseconds each create took, in creation order. */
  private static double[] createJobs(
      KubernetesClient client, String namespace, int jobs, boolean suspend) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Double>> done = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        String name = jobName(i);
        done.add(
            pool.submit(
                () -> {
                  DistillationJob job = MockCluster.job(client, namespace, name);
                  job.getSpec().setSuspend(suspend);
                  long started = System.nanoTime();
                  client.resource(job).create();
                  return (System.nanoTime() - started) / 1e6;
                }));
      }
      double[] millis = new double[jobs];
      for (int i = 0; i < jobs; i++) {
        millis[i] = done.get(i).get();
      }
      return millis;
    } finally {
      pool.shutdown();
    }
  }

  /**
   * Status writes per second that {@code writers} threads get through, each server-side applying
   * status.progress of the jobs in turn for {@code seconds}, by the operator's own write.
   */
  private static double statusWriteCeiling(
      KubernetesClient client, String namespace, int jobs, int writers, int seconds)
      throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    AtomicInteger written = new AtomicInteger();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    for (int w = 0; w < writers; w++) {
      int first = w;
      pool.execute(
          () -> {
            for (int i = first; System.nanoTime() < end; i += writers) {
              ProgressService.apply(
                  client,
                  namespace,
                  jobName(i % jobs),
                  Map.of("stage", "score", "step", i, "totalSteps", 1 << 30));
              written.incrementAndGet();
            }
          });
    }
    pool.shutdown();
    pool.awaitTermination(seconds + 60, TimeUnit.SECONDS);
    return written.get() / (double) seconds;
  }

  private static String jobName(int i) {
    return String.format("load-%04d", i);
  }

  /**
   * Reports at {@code --rate} per second for {@code --seconds}, round robin over the jobs, each
   * from its job's fake worker pod.
   */
  private static void loadProgress(
      KubernetesClient client, String namespace, int jobs, Map<String, String> options)
      throws Exception {
    int rate = Integer.parseInt(options.getOrDefault("rate", "1000"));
    int duration = Integer.parseInt(options.getOrDefault("seconds", "20"));
    long created = System.nanoTime();
    createJobs(client, namespace, jobs, true);
    awaitScoreJobs(client, namespace, jobs, created);
    String[] tokens = workerTokens(client, namespace, jobs);
    // The operator's pod informer sees the pods shortly after they exist; a report before that
    // would be looked up on the API server (the fallback), which is not what is measured here.
    Thread.sleep(5000);
    HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
    // One report per worker first, as workers start one by one: the first report of a token costs
    // a TokenReview; the measured reports are the steady state after it.
    for (int job = 0; job < jobs; job++) {
      http.send(
          report(namespace, job, tokens[job], 0, rate * duration / jobs + 1),
          HttpResponse.BodyHandlers.discarding());
    }

    // What the operator's writers can get at most: the API server's rate for the same writes.
    double ceiling = statusWriteCeiling(client, namespace, jobs, 8, 5);
    System.out.printf(
        "  API server, 8 writers applying status.progress as the operator does: %.1f writes/s"
            + " (%d jobs at one write per 2 s need %.0f)%n",
        ceiling, jobs, jobs / 2.0);

    Map<String, Double> before = apiRequests(client);
    int total = rate * duration;
    long[] latencies = new long[total];
    long[] lastSent = new long[jobs];
    long[] lastStep = new long[jobs];
    Map<Integer, AtomicInteger> codes = new ConcurrentHashMap<>();
    AtomicLong failures = new AtomicLong();
    List<CompletableFuture<?>> inFlight = new ArrayList<>(total);
    long start = System.nanoTime();
    for (int i = 0; i < total; i++) {
      long due = start + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      int job = i % jobs;
      long step = i / jobs + 1;
      lastStep[job] = step;
      lastSent[job] = System.nanoTime();
      HttpRequest request = report(namespace, job, tokens[job], step, total / jobs + 1);
      int index = i;
      long sent = System.nanoTime();
      inFlight.add(
          http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
              .whenComplete(
                  (response, error) -> {
                    latencies[index] = System.nanoTime() - sent;
                    if (error != null) {
                      failures.incrementAndGet();
                    } else {
                      codes
                          .computeIfAbsent(response.statusCode(), c -> new AtomicInteger())
                          .incrementAndGet();
                    }
                  }));
    }
    double sending = seconds(start);
    for (CompletableFuture<?> future : inFlight) {
      future.handle((r, e) -> null).get();
    }
    Arrays.sort(latencies);
    System.out.printf(
        "  reports: %d in %.1f s (%.0f/s asked, %.0f/s sent), answers %s, failed %d%n",
        total, sending, (double) rate, total / sending, codes, failures.get());
    for (double q : new double[] {0.5, 0.95, 0.99, 1.0}) {
      System.out.printf(
          "  report latency p%-4d           %7.1f ms%n",
          (int) (q * 100), latencies[(int) Math.min(total - 1, q * total)] / 1e6);
    }
    double[] landed = awaitLastReports(client, namespace, lastStep, lastSent);
    Map<String, Double> after = apiRequests(client);
    int arrived = (int) Arrays.stream(landed).filter(Double::isFinite).count();
    Arrays.sort(landed);
    for (double q : new double[] {0.5, 0.95, 1.0}) {
      System.out.printf(
          "  last report in status, p%-4d   %7.2f s   (budget: 2 s; %d of %d jobs)%n",
          (int) (q * 100), landed[(int) Math.min(jobs - 1, q * jobs)], arrived, jobs);
    }
    if (before.isEmpty()) {
      System.out.println("  the API server's /metrics cannot be read: no request counts");
      return;
    }
    for (String call :
        List.of(
            "POST tokenreviews",
            "GET pods",
            "GET distillationjobs",
            "APPLY distillationjobs/status")) {
      double count = after.getOrDefault(call, 0.0) - before.getOrDefault(call, 0.0);
      System.out.printf(
          "  API %-28s %7.0f   (%.3f per report)%n", call + ":", count, count / total);
    }
  }

  private static HttpRequest report(
      String namespace, int job, String token, long step, long totalSteps) {
    return HttpRequest.newBuilder(
            URI.create(
                "http://localhost:%d/progress/%s/%s".formatted(HTTP_PORT, namespace, jobName(job))))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(30))
        .POST(
            HttpRequest.BodyPublishers.ofString(
                "{\"stage\":\"score\",\"step\":%d,\"totalSteps\":%d,\"loss\":0.5}"
                    .formatted(step, totalSteps)))
        .build();
  }

  /**
   * One fake worker pod per job, labelled as the operator labels its workers, Pending for good (its
   * nodeSelector matches no node), and a token bound to it for the progress audience.
   */
  private static String[] workerTokens(KubernetesClient client, String namespace, int jobs)
      throws Exception {
    awaitDefaultServiceAccount(client, namespace);
    String[] tokens = new String[jobs];
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < jobs; i++) {
        int job = i;
        done.add(pool.submit(() -> tokens[job] = workerToken(client, namespace, jobName(job))));
      }
      for (Future<?> future : done) {
        future.get();
      }
    } finally {
      pool.shutdown();
    }
    return tokens;
  }

  private static String workerToken(KubernetesClient client, String namespace, String name) {
    DistillationJob job =
        client.resources(DistillationJob.class).inNamespace(namespace).withName(name).get();
    Pod pod =
        client
            .resource(
                new PodBuilder()
                    .withNewMetadata()
                    .withName(name + "-score-bench")
                    .withNamespace(namespace)
                    .addToLabels(Labels.MANAGED_BY, Labels.OPERATOR)
                    .addToLabels(Labels.JOB, name)
                    .addToLabels(Labels.JOB_UID, job.getMetadata().getUid())
                    .endMetadata()
                    .withNewSpec()
                    .addToNodeSelector("goldpan.dev/bench", "no-such-node")
                    .withAutomountServiceAccountToken(false)
                    .addNewContainer()
                    .withName("worker")
                    .withImage("goldpan/worker:bench")
                    .endContainer()
                    .endSpec()
                    .build())
            .create();
    return client
        .serviceAccounts()
        .inNamespace(namespace)
        .withName("default")
        .tokenRequest(
            new TokenRequestBuilder()
                .withNewSpec()
                .withAudiences(ProgressAuthenticator.AUDIENCE)
                .withExpirationSeconds(3600L)
                .withNewBoundObjectRef()
                .withApiVersion("v1")
                .withKind("Pod")
                .withName(pod.getMetadata().getName())
                .withUid(pod.getMetadata().getUid())
                .endBoundObjectRef()
                .endSpec()
                .build())
        .getStatus()
        .getToken();
  }

  private static void awaitDefaultServiceAccount(KubernetesClient client, String namespace)
      throws InterruptedException {
    await(
        () -> client.serviceAccounts().inNamespace(namespace).withName("default").get() != null,
        60,
        "no default service account in " + namespace);
  }

  /**
   * Seconds from the last report of each job until its status shows that report's step: the
   * coalesced reports are written when the job's write interval ends.
   */
  private static double[] awaitLastReports(
      KubernetesClient client, String namespace, long[] lastStep, long[] lastSent)
      throws InterruptedException {
    double[] landed = new double[lastStep.length];
    Arrays.fill(landed, Double.NaN);
    long since = System.nanoTime();
    int missing = lastStep.length;
    while (missing > 0) {
      long now = System.nanoTime();
      for (DistillationJob job :
          client.resources(DistillationJob.class).inNamespace(namespace).list().getItems()) {
        int index = Integer.parseInt(job.getMetadata().getName().substring("load-".length()));
        ProgressStatus progress = job.getStatus() == null ? null : job.getStatus().getProgress();
        if (Double.isNaN(landed[index])
            && progress != null
            && progress.getStep() != null
            && progress.getStep() == lastStep[index]) {
          landed[index] = (now - lastSent[index]) / 1e9;
          missing--;
        }
      }
      if (seconds(since) > 60) {
        System.out.printf("  %d jobs lack their last report 60 s after it%n", missing);
        for (int i = 0; i < landed.length; i++) {
          landed[i] = Double.isNaN(landed[i]) ? Double.POSITIVE_INFINITY : landed[i];
        }
        return landed;
      }
      Thread.sleep(100);
    }
    return landed;
  }

  /**
   * The API server's request counts ({@code apiserver_request_total}) by "VERB resource[/sub]";
   * empty when its /metrics cannot be read.
   */
  private static Map<String, Double> apiRequests(KubernetesClient client) {
    String text;
    try {
      text = client.raw(client.getMasterUrl().toString().replaceAll("/$", "") + "/metrics");
    } catch (RuntimeException e) {
      return Map.of();
    }
    Map<String, Double> counts = new HashMap<>();
    if (text == null) {
      return counts;
    }
    for (String line : text.split("\n")) {
      if (!line.startsWith("apiserver_request_total{")) {
        continue;
      }
      String resource = label(line, "resource");
      String subresource = label(line, "subresource");
      String key =
          label(line, "verb") + " " + resource + (subresource.isEmpty() ? "" : "/" + subresource);
      counts.merge(key, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
    }
    return counts;
  }

  private static String label(String line, String name) {
    int at = line.indexOf(name + "=\"");
    if (at < 0) {
      return "";
    }
    int from = at + name.length() + 2;
    return line.substring(from, line.indexOf('"', from));
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
      if (seconds(since) > timeout) {
        System.out.printf("  only %d score Jobs after --timeout %d s%n", count, timeout);
        return Double.NaN;
      }
      Thread.sleep(jobs > 1000 ? 1000 : 100);
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
      if (seconds(since) > timeout) {
        System.out.printf("  only %d statuses after --timeout %d s%n", count, timeout);
        return Double.NaN;
      }
      Thread.sleep(jobs > 1000 ? 1000 : 200);
    }
  }

  private static void printMemory(Process operator) throws IOException, InterruptedException {
    String metrics = get("http://localhost:" + MANAGEMENT_PORT + "/q/metrics");
    System.out.printf(
        "  heap used after the run:       %6.0f MiB%n",
        sum(metrics, "jvm_memory_used_bytes{area=\"heap\"") / (1024 * 1024));
    System.out.printf(
        "  RSS after the run / peak:      %6d / %d MiB   (goal: 400 MiB)%n",
        rssKib(operator.pid(), "VmRSS") / 1024, rssKib(operator.pid(), "VmHWM") / 1024);
  }

  /** Scales Deployment {@code namespace/name} to {@code replicas}; returns the replicas it had. */
  private static int scale(KubernetesClient client, String deployment, int replicas) {
    String[] parts = deployment.split("/", 2);
    if (parts.length != 2) {
      throw new IllegalArgumentException("--pause-deployment is NAMESPACE/NAME: " + deployment);
    }
    var resource = client.apps().deployments().inNamespace(parts[0]).withName(parts[1]);
    if (resource.get() == null) {
      throw new IllegalArgumentException("no Deployment " + deployment);
    }
    int had = resource.get().getSpec().getReplicas();
    resource.scale(replicas);
    if (replicas == 0) {
      try {
        await(
            () ->
                client
                    .pods()
                    .inNamespace(parts[0])
                    .withLabels(selector(resource.get()))
                    .list()
                    .getItems()
                    .isEmpty(),
            120,
            "the pods of " + deployment + " did not go away");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return had;
  }

  private static Map<String, String> selector(io.fabric8.kubernetes.api.model.apps.Deployment d) {
    return d.getSpec().getSelector().getMatchLabels();
  }

  private static void await(Supplier<Boolean> condition, int seconds, String failure)
      throws InterruptedException {
    long since = System.nanoTime();
    while (!condition.get()) {
      if (seconds(since) > seconds) {
        throw new IllegalStateException(failure);
      }
      Thread.sleep(200);
    }
  }

  private static void awaitReady(Process operator) throws InterruptedException {
    long started = System.nanoTime();
    while (seconds(started) < 120) {
      if (!operator.isAlive()) {
        throw new IllegalStateException(
            "the operator exited with " + operator.exitValue() + "; see " + LOG);
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

  /**
   * The upper bound of the histogram bucket that holds quantile {@code q}, over every series of
   * {@code buckets} merged: the same figure whether JOSDK keeps one timer per controller or one per
   * job (as before issue 12). NaN without buckets.
   */
  private static double histogramQuantile(String metrics, String buckets, double q) {
    java.util.TreeMap<Double, Double> cumulative = new java.util.TreeMap<>();
    for (String line : metrics.split("\n")) {
      if (line.startsWith(buckets + "{")) {
        String le = label(line, "le");
        double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
        cumulative.merge(
            bound, Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)), Double::sum);
      }
    }
    if (cumulative.isEmpty()) {
      return Double.NaN;
    }
    double total = cumulative.lastEntry().getValue();
    for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
      if (bucket.getValue() >= q * total) {
        return bucket.getKey();
      }
    }
    return Double.POSITIVE_INFINITY;
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

  /** How many series (lines that are not comments) start with {@code prefix}. */
  private static long series(String metrics, String prefix) {
    return Arrays.stream(metrics.split("\n"))
        .filter(line -> !line.startsWith("#") && !line.isBlank() && line.startsWith(prefix))
        .count();
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
