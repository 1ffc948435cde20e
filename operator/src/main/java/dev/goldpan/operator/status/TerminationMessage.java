package dev.goldpan.operator.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.operator.dependent.WorkerPods;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.util.Optional;

/**
 * The worker container's end, as its pod reports it: exit code, finish time, and the one-line JSON
 * summary the worker writes to its termination log (or, when it died before writing one, the tail
 * of its log, which the pods' FallbackToLogsOnError policy puts there).
 */
public record TerminationMessage(
    int completionIndex,
    int exitCode,
    String finishedAt,
    JsonNode summary,
    String text,
    String reason) {

  /** The container state's reason when the kernel killed the worker for its memory limit. */
  static final String OOM_KILLED = "OOMKilled";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";

  /** The worker container's termination, if it has ended. */
  public static Optional<TerminationMessage> of(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return Optional.empty();
    }
    for (ContainerStatus status : pod.getStatus().getContainerStatuses()) {
      if (!WorkerPods.CONTAINER.equals(status.getName())
          || status.getState() == null
          || status.getState().getTerminated() == null) {
        continue;
      }
      ContainerStateTerminated terminated = status.getState().getTerminated();
      String text = terminated.getMessage() == null ? "" : terminated.getMessage().trim();
      return Optional.of(
          new TerminationMessage(
              completionIndex(pod),
              terminated.getExitCode() == null ? -1 : terminated.getExitCode(),
              terminated.getFinishedAt(),
              parse(text),
              text,
              terminated.getReason()));
    }
    return Optional.empty();
  }

  public boolean succeeded() {
    return exitCode == 0;
  }

  /**
   * The worker's own message: the summary's "message", else the raw text, else the exit code; an
   * OOM kill says so first, since the worker cannot.
   */
  public String message() {
    if (summary != null && summary.hasNonNull("message")) {
      return summary.get("message").asText();
    }
    if (OOM_KILLED.equals(reason)) {
      return "OOMKilled: the worker exceeded its memory limit (spec.resources.memory)"
          + (text.isEmpty() ? "" : "; its last output: " + lastLine(text));
    }
    if (!text.isEmpty()) {
      return lastLine(text);
    }
    return "the worker exited with code " + exitCode + " without a message";
  }

  private static JsonNode parse(String text) {
    if (!text.startsWith("{")) {
      return null;
    }
    try {
      JsonNode node = JSON.readTree(text);
      return node != null && node.isObject() ? node : null;
    } catch (IOException e) {
      return null;
    }
  }

  private static String lastLine(String text) {
    String[] lines = text.split("\n");
    return lines[lines.length - 1].trim();
  }

  private static int completionIndex(Pod pod) {
    String value =
        pod.getMetadata().getAnnotations() == null
            ? null
            : pod.getMetadata().getAnnotations().get(INDEX_ANNOTATION);
    if (value == null && pod.getMetadata().getLabels() != null) {
      value = pod.getMetadata().getLabels().get(INDEX_ANNOTATION);
    }
    try {
      return value == null ? 0 : Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
