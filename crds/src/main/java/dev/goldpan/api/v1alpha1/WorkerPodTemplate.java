package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

/** Scheduling and metadata copied onto every worker pod. */
public class WorkerPodTemplate {

  @JsonPropertyDescription("Node selector of the worker pods.")
  private Map<String, String> nodeSelector;

  @Size(max = 32)
  @JsonPropertyDescription("Tolerations of the worker pods.")
  private List<Toleration> tolerations;

  @JsonPropertyDescription("Affinity of the worker pods.")
  private Affinity affinity;

  @Size(min = 1, max = 253)
  @JsonPropertyDescription("Priority class of the worker pods and stage Jobs.")
  private String priorityClassName;

  @JsonPropertyDescription("Annotations added to the worker pods.")
  private Map<String, String> annotations;

  @JsonPropertyDescription("Labels added to the worker pods.")
  private Map<String, String> labels;

  public Map<String, String> getNodeSelector() {
    return nodeSelector;
  }

  public void setNodeSelector(Map<String, String> nodeSelector) {
    this.nodeSelector = nodeSelector;
  }

  public List<Toleration> getTolerations() {
    return tolerations;
  }

  public void setTolerations(List<Toleration> tolerations) {
    this.tolerations = tolerations;
  }

  public Affinity getAffinity() {
    return affinity;
  }

  public void setAffinity(Affinity affinity) {
    this.affinity = affinity;
  }

  public String getPriorityClassName() {
    return priorityClassName;
  }

  public void setPriorityClassName(String priorityClassName) {
    this.priorityClassName = priorityClassName;
  }

  public Map<String, String> getAnnotations() {
    return annotations;
  }

  public void setAnnotations(Map<String, String> annotations) {
    this.annotations = annotations;
  }

  public Map<String, String> getLabels() {
    return labels;
  }

  public void setLabels(Map<String, String> labels) {
    this.labels = labels;
  }
}
