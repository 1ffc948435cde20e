package dev.goldpan.e2e.node;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * A Kubernetes node without a container runtime (DESIGN §6): it registers a Node with cpu, memory
 * and GPU capacity, keeps its Lease fresh, and runs the pods the scheduler binds to it as local
 * processes (see {@link PodRunner}), reporting their status, exit codes and termination messages.
 *
 * <p>{@code process-node --kubeconfig FILE [--name goldpan-node] [--work-dir DIR] [--images
 * e2e/process-node-images.yaml] [--root .] [--gpus 1] [--cpus 8]}. The capacity is nominal: pods
 * share this machine and their limits are not enforced, so the node offers more cpu than the
 * machine has, to let a worker that requests 2 cpus run next to the operator on 2 cores.
 */
public final class ProcessNode {

  /** The node's, and so every pod's, address. */
  static final String ADDRESS = "127.0.0.1";

  private static final Logger LOG = Logger.getLogger(ProcessNode.class.getName());
  private static final String KUBELET_VERSION = "v1.37.2";

  private final KubernetesClient client;
  private final String name;
  private final Path workDirectory;
  private final ImageMap images;
  private final int gpus;
  private final int cpus;
  private final Map<String, PodRunner> runners = new ConcurrentHashMap<>();
  private final ExecutorService podThreads = Executors.newCachedThreadPool();
  private final ScheduledExecutorService heartbeat = Executors.newSingleThreadScheduledExecutor();

  ProcessNode(
      KubernetesClient client,
      String name,
      Path workDirectory,
      ImageMap images,
      int gpus,
      int cpus) {
    this.cpus = cpus;
    this.client = client;
    this.name = name;
    this.workDirectory = workDirectory;
    this.images = images;
    this.gpus = gpus;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String kubeconfig = options.get("kubeconfig");
    if (kubeconfig == null) {
      System.err.println("process-node: --kubeconfig FILE is required");
      System.exit(2);
    }
    Path root = Path.of(options.getOrDefault("root", ".")).toAbsolutePath().normalize();
    Config config = Config.fromKubeconfig(Files.readString(Path.of(kubeconfig)));
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    ProcessNode node =
        new ProcessNode(
            client,
            options.getOrDefault("name", "goldpan-node"),
            Path.of(
                options.getOrDefault(
                    "work-dir", System.getProperty("user.home") + "/.cache/goldpan/node")),
            ImageMap.read(
                Path.of(
                    options.getOrDefault(
                        "images", root.resolve("e2e/process-node-images.yaml").toString())),
                root),
            Integer.parseInt(options.getOrDefault("gpus", "1")),
            Integer.parseInt(options.getOrDefault("cpus", "8")));
    Runtime.getRuntime().addShutdownHook(new Thread(node::shutdown));
    node.start();
    new CountDownLatch(1).await();
  }

  static int apiServerPort(KubernetesClient client) {
    int port = client.getMasterUrl().getPort();
    return port > 0 ? port : 443;
  }

  void start() throws Exception {
    Files.createDirectories(workDirectory);
    register();
    heartbeat.scheduleAtFixedRate(this::renewLease, 0, 10, TimeUnit.SECONDS);
    heartbeat.scheduleAtFixedRate(this::reportReady, 30, 30, TimeUnit.SECONDS);
    failPodsLeftFromBefore();
    client
        .pods()
        .inAnyNamespace()
        .withField("spec.nodeName", name)
        .inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(Pod pod) {
                handle(pod);
              }

              @Override
              public void onUpdate(Pod before, Pod pod) {
                handle(pod);
              }

              @Override
              public void onDelete(Pod pod, boolean unknownFinalState) {
                PodRunner runner = runners.remove(pod.getMetadata().getUid());
                if (runner != null) {
                  podThreads.submit(() -> runner.stop(0));
                }
              }
            });
    LOG.info("process node " + name + " is ready; pod directories under " + workDirectory);
  }

  private void handle(Pod pod) {
    String uid = pod.getMetadata().getUid();
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      PodRunner runner = runners.get(uid);
      long grace =
          pod.getMetadata().getDeletionGracePeriodSeconds() == null
              ? 30
              : pod.getMetadata().getDeletionGracePeriodSeconds();
      podThreads.submit(
          () -> {
            if (runner != null) {
              runner.stop(grace);
            }
            try {
              client
                  .pods()
                  .inNamespace(pod.getMetadata().getNamespace())
                  .withName(pod.getMetadata().getName())
                  .withGracePeriod(0)
                  .delete();
            } catch (KubernetesClientException e) {
              LOG.warning(
                  "could not finish deleting "
                      + pod.getMetadata().getName()
                      + ": "
                      + e.getMessage());
            }
          });
      return;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return;
    }
    runners.computeIfAbsent(
        uid,
        key -> {
          PodRunner runner = new PodRunner(client, images, workDirectory, pod);
          podThreads.submit(() -> runner.run(pod));
          return runner;
        });
  }

  /** Pods bound here that were running when a previous process node stopped can't be resumed. */
  private void failPodsLeftFromBefore() {
    for (Pod pod :
        client.pods().inAnyNamespace().withField("spec.nodeName", name).list().getItems()) {
      String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
      if ("Running".equals(phase)) {
        Conflicts.retry(
            () ->
                client
                    .pods()
                    .inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName())
                    .editStatus(
                        current -> {
                          current.getStatus().setPhase("Failed");
                          current.getStatus().setReason("NodeRestarted");
                          current
                              .getStatus()
                              .setMessage("the process node restarted while the pod ran");
                          return current;
                        }));
      }
    }
  }

  private void register() {
    Map<String, Quantity> capacity =
        Map.of(
            "cpu", new Quantity(Integer.toString(cpus)),
            "memory", new Quantity(Long.toString(totalMemoryBytes())),
            "pods", new Quantity("110"),
            "ephemeral-storage", new Quantity("64Gi"),
            "nvidia.com/gpu", new Quantity(Integer.toString(gpus)));
    if (client.nodes().withName(name).get() == null) {
      client
          .nodes()
          .resource(
              new NodeBuilder()
                  .withNewMetadata()
                  .withName(name)
                  .addToLabels("kubernetes.io/hostname", name)
                  .addToLabels("kubernetes.io/os", "linux")
                  .addToLabels("kubernetes.io/arch", "amd64")
                  .addToLabels("goldpan.dev/process-node", "true")
                  .endMetadata()
                  .build())
          .create();
    }
    Conflicts.retry(
        () ->
            client
                .nodes()
                .withName(name)
                .editStatus(
                    node -> {
                      node.getStatus().setCapacity(capacity);
                      node.getStatus().setAllocatable(capacity);
                      node.getStatus().setConditions(conditions());
                      node.getStatus()
                          .setAddresses(
                              List.of(
                                  new io.fabric8.kubernetes.api.model.NodeAddress(
                                      ADDRESS, "InternalIP"),
                                  new io.fabric8.kubernetes.api.model.NodeAddress(
                                      name, "Hostname")));
                      node.getStatus()
                          .setNodeInfo(
                              new io.fabric8.kubernetes.api.model.NodeSystemInfoBuilder()
                                  .withArchitecture("amd64")
                                  .withOperatingSystem("linux")
                                  .withKubeletVersion(KUBELET_VERSION)
                                  .withContainerRuntimeVersion("goldpan-process-node://1")
                                  .withOsImage(System.getProperty("os.name"))
                                  .withKernelVersion(System.getProperty("os.version"))
                                  .withMachineID("")
                                  .withSystemUUID("")
                                  .withBootID("")
                                  .withKubeProxyVersion("")
                                  .build());
                      return node;
                    }));
  }

  private void reportReady() {
    try {
      Conflicts.retry(
          () ->
              client
                  .nodes()
                  .withName(name)
                  .editStatus(
                      node -> {
                        node.getStatus().setConditions(conditions());
                        return node;
                      }));
    } catch (KubernetesClientException e) {
      LOG.warning("could not report node status: " + e.getMessage());
    }
  }

  private List<NodeCondition> conditions() {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    NodeCondition ready =
        new NodeConditionBuilder()
            .withType("Ready")
            .withStatus("True")
            .withReason("KubeletReady")
            .withMessage("the process node runs pods as local processes")
            .withLastHeartbeatTime(now)
            .withLastTransitionTime(now)
            .build();
    return List.of(
        ready,
        pressure("MemoryPressure", now),
        pressure("DiskPressure", now),
        pressure("PIDPressure", now));
  }

  private static NodeCondition pressure(String type, String now) {
    return new NodeConditionBuilder()
        .withType(type)
        .withStatus("False")
        .withReason("KubeletHas" + type.replace("Pressure", "") + "Enough")
        .withLastHeartbeatTime(now)
        .withLastTransitionTime(now)
        .build();
  }

  private void renewLease() {
    try {
      var leases = client.leases().inNamespace("kube-node-lease");
      Lease lease = leases.withName(name).get();
      if (lease == null) {
        leases
            .resource(
                new LeaseBuilder()
                    .withNewMetadata()
                    .withName(name)
                    .withNamespace("kube-node-lease")
                    .endMetadata()
                    .withNewSpec()
                    .withHolderIdentity(name)
                    .withLeaseDurationSeconds(40)
                    .withRenewTime(ZonedDateTime.now(ZoneOffset.UTC))
                    .endSpec()
                    .build())
            .create();
      } else {
        leases
            .withName(name)
            .edit(
                current -> {
                  current.getSpec().setRenewTime(ZonedDateTime.now(ZoneOffset.UTC));
                  return current;
                });
      }
    } catch (KubernetesClientException e) {
      LOG.warning("could not renew the node lease: " + e.getMessage());
    }
  }

  private void shutdown() {
    heartbeat.shutdownNow();
    runners.values().forEach(runner -> runner.stop(5));
    podThreads.shutdownNow();
  }

  private static long totalMemoryBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (java.io.IOException e) {
      // fall through
    }
    return 8L << 30;
  }
}
