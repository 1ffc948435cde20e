package dev.goldpan.e2e.node;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Runs one pod's containers as local processes, each in its own mount namespace ({@code unshare
 * --mount}) where the pod's volumes, its termination-message file and an emptyDir are bound at the
 * container's mount paths, and reports the pod's status as a kubelet does.
 */
final class PodRunner {

  private static final Logger LOG = Logger.getLogger(PodRunner.class.getName());
  private static final int FALLBACK_LOG_BYTES = 2048;
  private static final int FALLBACK_LOG_LINES = 80;

  private final KubernetesClient client;
  private final ImageMap images;
  private final Path directory;
  private final String namespace;
  private final String name;
  private final String uid;
  private final Map<String, Process> processes = new LinkedHashMap<>();
  private final Map<String, ContainerState> states = new LinkedHashMap<>();
  private final Map<String, ContainerState> lastStates = new LinkedHashMap<>();
  private volatile int restarts;
  private volatile boolean stopping;
  private String startTime;

  PodRunner(KubernetesClient client, ImageMap images, Path nodeDirectory, Pod pod) {
    this.client = client;
    this.images = images;
    this.namespace = pod.getMetadata().getNamespace();
    this.name = pod.getMetadata().getName();
    this.uid = pod.getMetadata().getUid();
    this.directory = nodeDirectory.resolve("pods").resolve(namespace + "_" + name + "_" + uid);
  }

  Path directory() {
    return directory;
  }

  /** Starts the containers and waits for them; returns when the pod has ended. */
  void run(Pod pod) {
    startTime = now();
    List<Container> containers = pod.getSpec().getContainers();
    try {
      Files.createDirectories(directory);
      Map<String, Path> volumes = PodVolumes.materialise(client, pod, directory);
      for (Container container : containers) {
        states.put(container.getName(), waiting("ContainerCreating"));
      }
      synchronized (this) {
        if (stopping) {
          return;
        }
        for (Container container : containers) {
          processes.put(container.getName(), start(pod, container, volumes));
          states.put(
              container.getName(),
              new ContainerStateBuilder()
                  .withNewRunning()
                  .withStartedAt(now())
                  .endRunning()
                  .build());
        }
      }
      report(pod, "Running", null);
      String restartPolicy = pod.getSpec().getRestartPolicy();
      for (Container container : containers) {
        int exitCode = processes.get(container.getName()).waitFor();
        // A Deployment's pods restart in place, as a kubelet restarts their containers.
        while (!stopping
            && containers.size() == 1
            && ("Always".equals(restartPolicy)
                || ("OnFailure".equals(restartPolicy) && exitCode != 0))) {
          lastStates.put(container.getName(), terminated(pod, container, exitCode));
          restarts++;
          report(pod, "Running", null);
          Thread.sleep(Math.min(30_000L, 1_000L << Math.min(restarts, 5)));
          synchronized (this) {
            if (stopping) {
              break;
            }
            processes.put(container.getName(), start(pod, container, volumes));
          }
          states.put(
              container.getName(),
              new ContainerStateBuilder()
                  .withNewRunning()
                  .withStartedAt(now())
                  .endRunning()
                  .build());
          report(pod, "Running", null);
          exitCode = processes.get(container.getName()).waitFor();
        }
        states.put(container.getName(), terminated(pod, container, exitCode));
      }
      boolean succeeded =
          states.values().stream().allMatch(s -> s.getTerminated().getExitCode() == 0);
      report(pod, succeeded ? "Succeeded" : "Failed", null);
    } catch (IOException | RuntimeException e) {
      LOG.warning("pod " + namespace + "/" + name + " could not run: " + e.getMessage());
      for (Container container : containers) {
        states.put(
            container.getName(),
            new ContainerStateBuilder()
                .withNewTerminated()
                .withExitCode(128)
                .withReason("StartError")
                .withMessage(e.getMessage())
                .withStartedAt(startTime)
                .withFinishedAt(now())
                .endTerminated()
                .build());
      }
      report(pod, "Failed", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Kills the containers (SIGTERM, then SIGKILL after the grace period). */
  void stop(long graceSeconds) {
    List<Process> running;
    synchronized (this) {
      stopping = true;
      running = new ArrayList<>(processes.values());
    }
    for (Process process : running) {
      process.descendants().forEach(ProcessHandle::destroy);
      process.destroy();
    }
    for (Process process : running) {
      try {
        if (!process.waitFor(Math.max(graceSeconds, 1), TimeUnit.SECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly().waitFor();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Process start(Pod pod, Container container, Map<String, Path> volumes)
      throws IOException {
    ImageMap.LocalImage image =
        images
            .find(container.getImage())
            .orElseThrow(
                () ->
                    new IOException(
                        "image "
                            + container.getImage()
                            + " is not in the process node's image map"));
    List<String> command = new ArrayList<>();
    if (container.getCommand() != null && !container.getCommand().isEmpty()) {
      command.addAll(container.getCommand());
    } else {
      command.addAll(image.entrypoint());
    }
    if (container.getArgs() != null) {
      command.addAll(container.getArgs());
    }
    if (command.isEmpty()) {
      throw new IOException(
          "container " + container.getName() + " has no command and its image no entrypoint");
    }

    Path containerDirectory = directory.resolve("containers").resolve(container.getName());
    Files.createDirectories(containerDirectory);
    Path terminationLog = containerDirectory.resolve("termination-log");
    Files.writeString(terminationLog, "");
    StringBuilder script = new StringBuilder("set -e\n");
    // The images' files live in the repository; a volume mounted over a parent of it (an
    // emptyDir at /tmp when the checkout is under /tmp) would hide them, so it is kept aside
    // first and bound back over its own path after the volumes.
    Path root = images.root();
    Path keep = containerDirectory.resolve("image-root");
    Files.createDirectories(keep);
    script
        .append("mount --bind ")
        .append(quote(root.toString()))
        .append(' ')
        .append(quote(keep.toString()))
        .append('\n');
    String terminationPath =
        container.getTerminationMessagePath() == null
            ? "/dev/termination-log"
            : container.getTerminationMessagePath();
    bind(script, terminationLog, terminationPath, false, true);
    if (container.getVolumeMounts() != null) {
      for (VolumeMount mount : container.getVolumeMounts()) {
        Path source = volumes.get(mount.getName());
        if (source == null) {
          throw new IOException("volume mount " + mount.getName() + " names no volume of the pod");
        }
        if (mount.getSubPath() != null && !mount.getSubPath().isEmpty()) {
          source = source.resolve(mount.getSubPath());
        }
        bind(
            script,
            source,
            mount.getMountPath(),
            Boolean.TRUE.equals(mount.getReadOnly()),
            Files.isRegularFile(source));
      }
    }
    script.append("mkdir -p ").append(quote(root.toString())).append('\n');
    script
        .append("mount --bind ")
        .append(quote(keep.toString()))
        .append(' ')
        .append(quote(root.toString()))
        .append('\n');
    if (container.getWorkingDir() != null) {
      script.append("cd ").append(quote(container.getWorkingDir())).append('\n');
    }
    script.append("exec \"$@\"\n");
    Path launcher = containerDirectory.resolve("launch.sh");
    Files.writeString(launcher, script.toString());

    List<String> argv =
        new ArrayList<>(
            List.of(
                "unshare", "--mount", "--propagation", "private", "/bin/sh", launcher.toString()));
    argv.addAll(command);
    ProcessBuilder builder = new ProcessBuilder(argv);
    Map<String, String> env = builder.environment();
    String hostPath = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
    String javaHome = System.getenv("JAVA_HOME");
    env.clear();
    env.put(
        "PATH", String.join(":", image.path()) + (image.path().isEmpty() ? "" : ":") + hostPath);
    env.put("HOME", "/root");
    env.put("HOSTNAME", pod.getMetadata().getName());
    if (javaHome != null) {
      env.put("JAVA_HOME", javaHome);
    }
    env.put("KUBERNETES_SERVICE_HOST", ProcessNode.ADDRESS);
    env.put("KUBERNETES_SERVICE_PORT", Integer.toString(ProcessNode.apiServerPort(client)));
    env.putAll(image.env());
    env.putAll(PodEnvironment.of(client, pod, container));
    Path log = containerDirectory.resolve("output.log");
    builder
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    LOG.info(
        "starting "
            + namespace
            + "/"
            + name
            + " "
            + container.getName()
            + ": "
            + String.join(" ", command));
    Process process = builder.start();
    // Tests kill a container's process through this file, as a crash or an OOM kill would.
    Files.writeString(containerDirectory.resolve("pid"), Long.toString(process.pid()));
    return process;
  }

  private static void bind(
      StringBuilder script, Path source, String target, boolean readOnly, boolean file) {
    String quoted = quote(target);
    if (file) {
      script
          .append("mkdir -p \"$(dirname ")
          .append(quoted)
          .append(")\"; [ -e ")
          .append(quoted)
          .append(" ] || touch ")
          .append(quoted)
          .append('\n');
    } else {
      script.append("mkdir -p ").append(quoted).append('\n');
    }
    script
        .append("mount --bind ")
        .append(quote(source.toString()))
        .append(' ')
        .append(quoted)
        .append('\n');
    if (readOnly) {
      script.append("mount -o remount,bind,ro ").append(quoted).append('\n');
    }
  }

  private static String quote(String value) {
    return "'" + value.replace("'", "'\\''") + "'";
  }

  private ContainerState terminated(Pod pod, Container container, int exitCode) {
    Path containerDirectory = directory.resolve("containers").resolve(container.getName());
    String message = read(containerDirectory.resolve("termination-log"));
    if (message.isBlank()
        && exitCode != 0
        && "FallbackToLogsOnError".equals(container.getTerminationMessagePolicy())) {
      message = tail(read(containerDirectory.resolve("output.log")));
    }
    return new ContainerStateBuilder()
        .withNewTerminated()
        .withExitCode(exitCode)
        .withReason(exitCode == 0 ? "Completed" : stopping ? "Killed" : "Error")
        .withMessage(message.isBlank() ? null : message)
        .withStartedAt(startTime)
        .withFinishedAt(now())
        .endTerminated()
        .build();
  }

  /** Writes phase, conditions and container states to the pod's status. */
  private void report(Pod pod, String phase, String message) {
    List<ContainerStatus> statuses = new ArrayList<>();
    boolean ready = "Running".equals(phase);
    for (Container container : pod.getSpec().getContainers()) {
      ContainerState state = states.get(container.getName());
      statuses.add(
          new ContainerStatusBuilder()
              .withName(container.getName())
              .withImage(container.getImage())
              .withImageID("process-node://" + container.getImage())
              .withContainerID("process://" + uid + "/" + container.getName())
              .withReady(ready)
              .withStarted(ready)
              .withRestartCount(restarts)
              .withState(state)
              .withLastState(lastStates.get(container.getName()))
              .build());
    }
    String time = now();
    List<PodCondition> conditions =
        List.of(
            condition("PodScheduled", true, time),
            condition("Initialized", true, time),
            condition("ContainersReady", ready, time),
            condition("Ready", ready, time));
    try {
      Conflicts.retry(
          () ->
              client
                  .pods()
                  .inNamespace(namespace)
                  .withName(name)
                  .editStatus(
                      current -> {
                        current.getStatus().setPhase(phase);
                        current.getStatus().setMessage(message);
                        current.getStatus().setHostIP(ProcessNode.ADDRESS);
                        current.getStatus().setPodIP(ProcessNode.ADDRESS);
                        current.getStatus().setPodIPs(List.of(new PodIP(ProcessNode.ADDRESS)));
                        current.getStatus().setStartTime(startTime);
                        current.getStatus().setConditions(conditions);
                        current.getStatus().setContainerStatuses(statuses);
                        return current;
                      }));
    } catch (KubernetesClientException e) {
      LOG.warning(
          "could not report the status of " + namespace + "/" + name + ": " + e.getMessage());
    }
  }

  private static PodCondition condition(String type, boolean value, String time) {
    return new PodConditionBuilder()
        .withType(type)
        .withStatus(value ? "True" : "False")
        .withLastTransitionTime(time)
        .build();
  }

  private static ContainerState waiting(String reason) {
    return new ContainerStateBuilder().withNewWaiting().withReason(reason).endWaiting().build();
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "";
    }
  }

  /** The last lines of a log, as FallbackToLogsOnError keeps them. */
  private static String tail(String log) {
    String[] lines = log.split("\n");
    int from = Math.max(0, lines.length - FALLBACK_LOG_LINES);
    String tail = String.join("\n", java.util.Arrays.copyOfRange(lines, from, lines.length));
    return tail.length() <= FALLBACK_LOG_BYTES
        ? tail
        : tail.substring(tail.length() - FALLBACK_LOG_BYTES);
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }
}
