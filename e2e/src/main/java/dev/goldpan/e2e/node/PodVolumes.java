package dev.goldpan.e2e.node;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes a pod's volumes real as directories under its pod directory: emptyDir, configMap, secret,
 * projected (service-account token, ConfigMap, Secret, downward API namespace), hostPath, and
 * persistentVolumeClaim (bound to a hostPath PersistentVolume). The pod's containers see them
 * through bind mounts at their mount paths.
 */
final class PodVolumes {

  private PodVolumes() {}

  /** Volume name to host directory. */
  static Map<String, Path> materialise(KubernetesClient client, Pod pod, Path podDirectory)
      throws IOException {
    Map<String, Path> volumes = new HashMap<>();
    String namespace = pod.getMetadata().getNamespace();
    if (pod.getSpec().getVolumes() == null) {
      return volumes;
    }
    for (Volume volume : pod.getSpec().getVolumes()) {
      Path directory = podDirectory.resolve("volumes").resolve(volume.getName());
      if (volume.getEmptyDir() != null) {
        Files.createDirectories(directory);
      } else if (volume.getConfigMap() != null) {
        ConfigMap configMap =
            client
                .configMaps()
                .inNamespace(namespace)
                .withName(volume.getConfigMap().getName())
                .get();
        if (configMap == null && !Boolean.TRUE.equals(volume.getConfigMap().getOptional())) {
          throw new IOException("ConfigMap " + volume.getConfigMap().getName() + " does not exist");
        }
        Files.createDirectories(directory);
        if (configMap != null) {
          writeStrings(directory, configMap.getData(), volume.getConfigMap().getItems());
        }
      } else if (volume.getSecret() != null) {
        Secret secret =
            client
                .secrets()
                .inNamespace(namespace)
                .withName(volume.getSecret().getSecretName())
                .get();
        if (secret == null && !Boolean.TRUE.equals(volume.getSecret().getOptional())) {
          throw new IOException("Secret " + volume.getSecret().getSecretName() + " does not exist");
        }
        Files.createDirectories(directory);
        if (secret != null) {
          writeEncoded(directory, secret.getData(), volume.getSecret().getItems());
        }
      } else if (volume.getProjected() != null) {
        Files.createDirectories(directory);
        for (VolumeProjection source : volume.getProjected().getSources()) {
          project(client, pod, source, directory);
        }
      } else if (volume.getHostPath() != null) {
        directory = Path.of(volume.getHostPath().getPath());
      } else if (volume.getPersistentVolumeClaim() != null) {
        directory =
            claimDirectory(client, namespace, volume.getPersistentVolumeClaim().getClaimName());
      } else {
        throw new IOException(
            "volume " + volume.getName() + ": this kind is not supported by the process node");
      }
      volumes.put(volume.getName(), directory);
    }
    return volumes;
  }

  private static Path claimDirectory(KubernetesClient client, String namespace, String claim)
      throws IOException {
    PersistentVolumeClaim pvc =
        client.persistentVolumeClaims().inNamespace(namespace).withName(claim).get();
    if (pvc == null || pvc.getSpec().getVolumeName() == null) {
      throw new IOException("PersistentVolumeClaim " + namespace + "/" + claim + " is not bound");
    }
    PersistentVolume pv = client.persistentVolumes().withName(pvc.getSpec().getVolumeName()).get();
    if (pv == null || pv.getSpec().getHostPath() == null) {
      throw new IOException(
          "PersistentVolume " + pvc.getSpec().getVolumeName() + " is not a hostPath volume");
    }
    return Path.of(pv.getSpec().getHostPath().getPath());
  }

  private static void project(
      KubernetesClient client, Pod pod, VolumeProjection source, Path directory)
      throws IOException {
    String namespace = pod.getMetadata().getNamespace();
    if (source.getServiceAccountToken() != null) {
      var projection = source.getServiceAccountToken();
      TokenRequest request =
          new TokenRequestBuilder()
              .withNewSpec()
              .withAudiences(
                  projection.getAudience() == null ? List.of() : List.of(projection.getAudience()))
              .withExpirationSeconds(
                  projection.getExpirationSeconds() == null
                      ? 3607L
                      : projection.getExpirationSeconds())
              .withNewBoundObjectRef()
              .withApiVersion("v1")
              .withKind("Pod")
              .withName(pod.getMetadata().getName())
              .withUid(pod.getMetadata().getUid())
              .endBoundObjectRef()
              .endSpec()
              .build();
      TokenRequest token =
          client
              .serviceAccounts()
              .inNamespace(namespace)
              .withName(serviceAccount(pod))
              .tokenRequest(request);
      write(directory.resolve(projection.getPath()), token.getStatus().getToken());
    } else if (source.getConfigMap() != null) {
      ConfigMap configMap =
          client
              .configMaps()
              .inNamespace(namespace)
              .withName(source.getConfigMap().getName())
              .get();
      if (configMap != null) {
        writeStrings(directory, configMap.getData(), source.getConfigMap().getItems());
      }
    } else if (source.getSecret() != null) {
      Secret secret =
          client.secrets().inNamespace(namespace).withName(source.getSecret().getName()).get();
      if (secret != null) {
        writeEncoded(directory, secret.getData(), source.getSecret().getItems());
      }
    } else if (source.getDownwardAPI() != null) {
      for (var item : source.getDownwardAPI().getItems()) {
        if (item.getFieldRef() != null) {
          write(
              directory.resolve(item.getPath()),
              PodEnvironment.field(pod, item.getFieldRef().getFieldPath()));
        }
      }
    }
  }

  static String serviceAccount(Pod pod) {
    String name = pod.getSpec().getServiceAccountName();
    return name == null || name.isEmpty() ? "default" : name;
  }

  private static void writeStrings(Path directory, Map<String, String> data, List<KeyToPath> items)
      throws IOException {
    if (data == null) {
      return;
    }
    for (Map.Entry<String, String> entry : data.entrySet()) {
      String path = pathOf(entry.getKey(), items);
      if (path != null) {
        write(directory.resolve(path), entry.getValue());
      }
    }
  }

  private static void writeEncoded(Path directory, Map<String, String> data, List<KeyToPath> items)
      throws IOException {
    if (data == null) {
      return;
    }
    for (Map.Entry<String, String> entry : data.entrySet()) {
      String path = pathOf(entry.getKey(), items);
      if (path != null) {
        Path file = directory.resolve(path);
        Files.createDirectories(file.getParent());
        Files.write(file, Base64.getDecoder().decode(entry.getValue()));
      }
    }
  }

  /** Where {@code key} goes: its own name, or the item's path; null when items leave it out. */
  private static String pathOf(String key, List<KeyToPath> items) {
    if (items == null || items.isEmpty()) {
      return key;
    }
    return items.stream()
        .filter(i -> key.equals(i.getKey()))
        .map(KeyToPath::getPath)
        .findFirst()
        .orElse(null);
  }

  private static void write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content, StandardCharsets.UTF_8);
  }
}
