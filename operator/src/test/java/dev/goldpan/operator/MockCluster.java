package dev.goldpan.operator;

import dev.goldpan.api.v1alpha1.DistillationJob;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/** Test fixtures on the mock API server: the CRD, and DistillationJobs in fresh namespaces. */
final class MockCluster {

  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  private MockCluster() {}

  /** Installs the generated CRD, so that the mock server treats status as a subresource. */
  static void installCrd(KubernetesClient client) {
    if (client
            .apiextensions()
            .v1()
            .customResourceDefinitions()
            .withName(DistillationJob.CRD_NAME)
            .get()
        != null) {
      return;
    }
    try (InputStream crd =
        MockCluster.class.getResourceAsStream(
            "/META-INF/fabric8/" + DistillationJob.CRD_NAME + "-v1.yml")) {
      if (crd == null) {
        throw new IllegalStateException("the generated CRD is not on the test class path");
      }
      client
          .resource(
              client.getKubernetesSerialization().unmarshal(crd, CustomResourceDefinition.class))
          .create();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A fresh namespace name, so that tests never see each other's objects. */
  static String namespace() {
    return "test-" + NAMESPACES.incrementAndGet();
  }

  /** The example's small DistillationJob, named {@code name} in {@code namespace}. */
  static DistillationJob job(KubernetesClient client, String namespace, String name) {
    String yaml =
        """
        apiVersion: goldpan.dev/v1alpha1
        kind: DistillationJob
        metadata:
          name: %s
          namespace: %s
        spec:
          dataset:
            format: idx
            source: pvc://fashion-mnist/
          distillation:
            iterations: 200
          output:
            location: s3://goldpan/%s
            credentialsSecret: goldpan-s3
          resources:
            gpus: 1
            cpu: "2"
            memory: 4Gi
        """
            .formatted(name, namespace, name);
    return client.getKubernetesSerialization().unmarshal(yaml, DistillationJob.class);
  }
}
