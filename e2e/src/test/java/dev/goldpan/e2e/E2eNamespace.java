package dev.goldpan.e2e;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A random namespace per test, prepared for examples/ and injected as a String parameter; when the
 * test fails, its DistillationJobs, events, its pods' logs and the operator's are printed; then the
 * namespace is deleted.
 */
final class E2eNamespace implements BeforeEachCallback, AfterEachCallback, ParameterResolver {

  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(E2eNamespace.class);

  @Override
  public void beforeEach(ExtensionContext context) {
    String method =
        context
            .getRequiredTestMethod()
            .getName()
            .toLowerCase(Locale.ROOT)
            .replaceAll("[^a-z0-9]", "");
    String name =
        "e2e-"
            + method.substring(0, Math.min(12, method.length()))
            + "-"
            + UUID.randomUUID().toString().substring(0, 6);
    E2eCluster.prepareNamespace(name);
    context.getStore(STORE).put("namespace", name);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    String namespace = context.getStore(STORE).get("namespace", String.class);
    if (namespace == null) {
      return;
    }
    if (context.getExecutionException().isPresent()) {
      dump(namespace);
    }
    KubernetesClient client = E2eCluster.client();
    client.namespaces().withName(namespace).delete();
    client.persistentVolumes().withName("fashion-mnist-" + namespace).delete();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == String.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getStore(STORE).get("namespace", String.class);
  }

  private static void dump(String namespace) {
    System.out.println("==== e2e failure in namespace " + namespace + " ====");
    System.out.println(
        E2eCluster.kubectl(null, "get", "dj,jobs,pods", "-n", namespace, "-o", "wide").output());
    System.out.println(
        E2eCluster.kubectl(null, "get", "dj", "-n", namespace, "-o", "yaml").output());
    System.out.println("---- events");
    E2eCluster.client().v1().events().inNamespace(namespace).list().getItems().stream()
        .sorted(Comparator.comparing(e -> String.valueOf(e.getLastTimestamp())))
        .map(E2eNamespace::line)
        .forEach(System.out::println);
    System.out.println("---- pod logs");
    System.out.println(
        E2eCluster.kubectl(
                null,
                "logs",
                "-n",
                namespace,
                "--all-containers",
                "--prefix",
                "--tail=100",
                "-l",
                "goldpan.dev/job")
            .output());
    System.out.println("---- operator log");
    System.out.println(
        E2eCluster.kubectl(
                null,
                "logs",
                "-n",
                E2eCluster.OPERATOR_NAMESPACE,
                "deployment/goldpan",
                "--tail=200")
            .output());
  }

  private static String line(Event event) {
    return event.getLastTimestamp()
        + " "
        + event.getType()
        + " "
        + event.getReason()
        + " "
        + event.getInvolvedObject().getKind()
        + "/"
        + event.getInvolvedObject().getName()
        + ": "
        + event.getMessage();
  }
}
