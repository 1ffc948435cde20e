package dev.goldpan.e2e.node;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** A container's environment as a kubelet builds it: envFrom, then env (value or valueFrom). */
final class PodEnvironment {

  private PodEnvironment() {}

  static Map<String, String> of(KubernetesClient client, Pod pod, Container container)
      throws IOException {
    String namespace = pod.getMetadata().getNamespace();
    Map<String, String> env = new LinkedHashMap<>();
    if (container.getEnvFrom() != null) {
      for (EnvFromSource source : container.getEnvFrom()) {
        String prefix = source.getPrefix() == null ? "" : source.getPrefix();
        if (source.getConfigMapRef() != null) {
          ConfigMap configMap =
              client
                  .configMaps()
                  .inNamespace(namespace)
                  .withName(source.getConfigMapRef().getName())
                  .get();
          if (configMap != null && configMap.getData() != null) {
            configMap.getData().forEach((k, v) -> env.put(prefix + k, v));
          }
        }
        if (source.getSecretRef() != null) {
          Secret secret =
              client
                  .secrets()
                  .inNamespace(namespace)
                  .withName(source.getSecretRef().getName())
                  .get();
          if (secret != null && secret.getData() != null) {
            secret.getData().forEach((k, v) -> env.put(prefix + k, decode(v)));
          }
        }
      }
    }
    if (container.getEnv() != null) {
      for (EnvVar variable : container.getEnv()) {
        env.put(variable.getName(), value(client, pod, variable));
      }
    }
    return env;
  }

  private static String value(KubernetesClient client, Pod pod, EnvVar variable)
      throws IOException {
    if (variable.getValueFrom() == null) {
      return variable.getValue() == null ? "" : variable.getValue();
    }
    String namespace = pod.getMetadata().getNamespace();
    var from = variable.getValueFrom();
    if (from.getFieldRef() != null) {
      return field(pod, from.getFieldRef().getFieldPath());
    }
    if (from.getSecretKeyRef() != null) {
      Secret secret =
          client.secrets().inNamespace(namespace).withName(from.getSecretKeyRef().getName()).get();
      if (secret == null
          || secret.getData() == null
          || !secret.getData().containsKey(from.getSecretKeyRef().getKey())) {
        throw new IOException(
            "env "
                + variable.getName()
                + ": Secret "
                + from.getSecretKeyRef().getName()
                + " has no key "
                + from.getSecretKeyRef().getKey());
      }
      return decode(secret.getData().get(from.getSecretKeyRef().getKey()));
    }
    if (from.getConfigMapKeyRef() != null) {
      ConfigMap configMap =
          client
              .configMaps()
              .inNamespace(namespace)
              .withName(from.getConfigMapKeyRef().getName())
              .get();
      if (configMap == null || configMap.getData() == null) {
        throw new IOException(
            "env "
                + variable.getName()
                + ": ConfigMap "
                + from.getConfigMapKeyRef().getName()
                + " is missing");
      }
      return configMap.getData().getOrDefault(from.getConfigMapKeyRef().getKey(), "");
    }
    return "";
  }

  /** A downward-API field of the pod. */
  static String field(Pod pod, String path) {
    if (path.startsWith("metadata.annotations['") || path.startsWith("metadata.labels['")) {
      String key = path.substring(path.indexOf("['") + 2, path.lastIndexOf("']"));
      Map<String, String> map =
          path.startsWith("metadata.annotations")
              ? pod.getMetadata().getAnnotations()
              : pod.getMetadata().getLabels();
      return map == null ? "" : map.getOrDefault(key, "");
    }
    return switch (path) {
      case "metadata.name" -> pod.getMetadata().getName();
      case "metadata.namespace" -> pod.getMetadata().getNamespace();
      case "metadata.uid" -> pod.getMetadata().getUid();
      case "spec.nodeName" -> pod.getSpec().getNodeName();
      case "spec.serviceAccountName" -> PodVolumes.serviceAccount(pod);
      case "status.podIP", "status.hostIP" -> ProcessNode.ADDRESS;
      default -> "";
    };
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }
}
