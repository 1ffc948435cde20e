package dev.goldpan.operator.chart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicy;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingAdmissionPolicyBinding;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart as {@code helm template} renders it, with its defaults and the values that matter.
 */
class HelmChartTest {

  private static final String FULLNAME = "goldpan";
  private static final String TEAMS = "{team-a,team-b}";

  /** What the operator does on the namespaces it watches; one rule per kind of object. */
  @Test
  void lintsStrictly() {
    assertThat(HelmChart.lint()).contains("1 chart(s) linted, 0 chart(s) failed");
  }

  @Test
  void installsTheCrdFromCrdsDirectoryOnly() {
    assertThat(all(HelmChart.template(Map.of()), CustomResourceDefinition.class)).isEmpty();

    List<CustomResourceDefinition> crds =
        all(HelmChart.templateWithCrds(Map.of()), CustomResourceDefinition.class);
    assertThat(crds)
        .extracting(crd -> crd.getMetadata().getName())
        .containsExactly("distillationjobs.goldpan.dev");
    assertThat(crds.get(0).getSpec().getGroup()).isEqualTo("goldpan.dev");
    assertThat(crds.get(0).getSpec().getNames().getKind()).isEqualTo("DistillationJob");
  }

  @Test
  void deploymentRunsOneOperatorWithDefaults() {
    Deployment deployment = one(HelmChart.template(Map.of()), Deployment.class);
    assertThat(deployment.getMetadata().getName()).isEqualTo(FULLNAME);
    assertThat(deployment.getMetadata().getNamespace()).isEqualTo(HelmChart.NAMESPACE);
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(1);
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());

    Container operator = container(deployment);
    assertThat(operator.getImage()).isEqualTo("ghcr.io/goldpan/goldpan-operator:0.1.0");
    assertThat(operator.getPorts())
        .extracting(ContainerPort::getName, ContainerPort::getContainerPort)
        .containsExactlyInAnyOrder(tuple("http", 8080), tuple("management", 9000));
    assertThat(operator.getResources().getRequests())
        .containsEntry("cpu", new Quantity("100m"))
        .containsEntry("memory", new Quantity("256Mi"));
    assertThat(operator.getResources().getLimits())
        .containsOnlyKeys("memory")
        .containsEntry("memory", new Quantity("512Mi"));
  }

  @Test
  void imageTagAndReplicasFollowValues() {
    Deployment deployment =
        one(
            HelmChart.template(Map.of("image.tag", "1.2.3", "replicaCount", "2")),
            Deployment.class);
    assertThat(container(deployment).getImage())
        .isEqualTo("ghcr.io/goldpan/goldpan-operator:1.2.3");
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(2);
  }

  @Test
  void probesAskTheManagementPort() {
    Container operator = container(one(HelmChart.template(Map.of()), Deployment.class));
    assertProbe(operator, operator.getStartupProbe(), "/q/health/started");
    assertProbe(operator, operator.getLivenessProbe(), "/q/health/live");
    assertProbe(operator, operator.getReadinessProbe(), "/q/health/ready");
    // Quarkus may start slowly on a small node: the kubelet waits about a minute for it.
    Probe startup = operator.getStartupProbe();
    assertThat(startup.getPeriodSeconds() * startup.getFailureThreshold())
        .isGreaterThanOrEqualTo(60);
  }

  @Test
  void runsAsNonRootWithReadOnlyRootAndWritableTmp() {
    Deployment deployment = one(HelmChart.template(Map.of()), Deployment.class);
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(185L);
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");

    Container operator = container(deployment);
    assertThat(operator.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(operator.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(operator.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(operator.getVolumeMounts())
        .singleElement()
        .satisfies(
            mount -> {
              assertThat(mount.getMountPath()).isEqualTo("/tmp");
              assertThat(pod.getVolumes())
                  .filteredOn(volume -> volume.getName().equals(mount.getName()))
                  .singleElement()
                  .satisfies(volume -> assertThat(volume.getEmptyDir()).isNotNull());
            });
  }

  @Test
  void passesTheOperatorSettingsAsEnvironment() {
    List<HasMetadata> objects = HelmChart.template(Map.of());
    Container operator = container(one(objects, Deployment.class));
    Map<String, String> env = env(operator);
    assertThat(env)
        .containsEntry("GOLDPAN_OPERATOR_WORKER_IMAGE", "ghcr.io/goldpan/goldpan-worker:0.1.0")
        .containsEntry(
            "GOLDPAN_OPERATOR_GPU_WORKER_IMAGE", "ghcr.io/goldpan/goldpan-worker:0.1.0-cuda")
        .containsEntry("GOLDPAN_OPERATOR_GPU_RESOURCE", "nvidia.com/gpu")
        .containsEntry("GOLDPAN_OPERATOR_KUEUE_ENABLED", "false")
        .containsEntry("GOLDPAN_OPERATOR_LEADER_ELECTION_ENABLED", "true")
        .containsEntry("GOLDPAN_OPERATOR_LEADER_ELECTION_LEASE_NAMESPACE", HelmChart.NAMESPACE)
        .containsEntry("QUARKUS_OPERATOR_SDK_NAMESPACES", "JOSDK_ALL_NAMESPACES");

    Service service = one(objects, Service.class);
    ServicePort progress = port(service, "progress");
    assertThat(env)
        .containsEntry(
            "GOLDPAN_OPERATOR_PROGRESS_URL",
            "http://"
                + service.getMetadata().getName()
                + "."
                + service.getMetadata().getNamespace()
                + ".svc:"
                + progress.getPort());

    assertThat(operator.getEnv())
        .filteredOn(variable -> variable.getName().equals("POD_NAME"))
        .singleElement()
        .extracting(variable -> variable.getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.name");
    assertThat(operator.getEnv())
        .filteredOn(variable -> variable.getName().equals("POD_NAMESPACE"))
        .singleElement()
        .extracting(variable -> variable.getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
  }

  @Test
  void settingsFollowValues() {
    Map<String, String> env =
        env(
            container(
                one(
                    HelmChart.template(
                        Map.of(
                            "workerImage", "registry.example/goldpan-worker:9",
                            "gpuWorkerImage", "registry.example/goldpan-worker:9-cuda",
                            "gpuResource", "amd.com/gpu",
                            "kueue.enabled", "true",
                            "leaderElection.enabled", "false",
                            "watchNamespaces", TEAMS)),
                    Deployment.class)));
    assertThat(env)
        .containsEntry("GOLDPAN_OPERATOR_WORKER_IMAGE", "registry.example/goldpan-worker:9")
        .containsEntry(
            "GOLDPAN_OPERATOR_GPU_WORKER_IMAGE", "registry.example/goldpan-worker:9-cuda")
        .containsEntry("GOLDPAN_OPERATOR_GPU_RESOURCE", "amd.com/gpu")
        .containsEntry("GOLDPAN_OPERATOR_KUEUE_ENABLED", "true")
        .containsEntry("GOLDPAN_OPERATOR_LEADER_ELECTION_ENABLED", "false")
        .containsEntry("QUARKUS_OPERATOR_SDK_NAMESPACES", "team-a,team-b");
  }

  @Test
  void serviceExposesProgressAndMetricsOfTheOperatorPods() {
    List<HasMetadata> objects = HelmChart.template(Map.of());
    Service service = one(objects, Service.class);
    Deployment deployment = one(objects, Deployment.class);
    Container operator = container(deployment);

    assertThat(service.getMetadata().getName()).isEqualTo(FULLNAME);
    assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(service.getSpec().getSelector());
    assertThat(service.getSpec().getPorts()).hasSize(2);
    assertThat(port(service, "progress").getPort()).isEqualTo(8080);
    assertThat(containerPort(operator, port(service, "progress").getTargetPort())).isEqualTo(8080);
    assertThat(port(service, "metrics").getPort()).isEqualTo(9000);
    assertThat(containerPort(operator, port(service, "metrics").getTargetPort())).isEqualTo(9000);
    assertThat(service.getMetadata().getAnnotations())
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/port", "9000")
        .containsEntry("prometheus.io/path", "/q/metrics");
  }

  @Test
  void watchingAllNamespacesBindsAClusterRoleToTheServiceAccount() {
    List<HasMetadata> objects = HelmChart.template(Map.of());
    ClusterRole clusterRole = named(all(objects, ClusterRole.class), FULLNAME);
    // Which verbs: RbacRulesIT checks them against the calls the operator makes.
    assertThat(clusterRole.getRules()).isNotEmpty();

    ClusterRoleBinding binding = named(all(objects, ClusterRoleBinding.class), FULLNAME);
    assertRoleRef(binding.getRoleRef(), "ClusterRole", FULLNAME);
    assertBoundToServiceAccount(objects, binding.getSubjects());
    assertTokenReviewsBound(objects);

    assertThat(all(objects, Role.class))
        .extracting(role -> role.getMetadata().getName())
        .containsExactly(FULLNAME + "-leader-election");
    assertThat(all(objects, RoleBinding.class))
        .extracting(roleBinding -> roleBinding.getMetadata().getName())
        .containsExactly(FULLNAME + "-leader-election");
  }

  @Test
  void watchingListedNamespacesGivesOneRoleInEachAndNoClusterRole() {
    List<PolicyRule> clusterRules =
        named(all(HelmChart.template(Map.of()), ClusterRole.class), FULLNAME).getRules();
    List<HasMetadata> objects = HelmChart.template(Map.of("watchNamespaces", TEAMS));
    // Only the token reviews of the progress endpoint, which are not namespaced.
    assertTokenReviewsBound(objects);

    List<Role> watched =
        all(objects, Role.class).stream()
            .filter(role -> !role.getMetadata().getName().endsWith("-leader-election"))
            .toList();
    assertThat(watched)
        .extracting(role -> role.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(watched)
        .allSatisfy(
            role -> {
              assertThat(role.getMetadata().getName()).isEqualTo(FULLNAME);
              assertThat(role.getRules()).containsExactlyElementsOf(clusterRules);
            });

    List<RoleBinding> bindings =
        all(objects, RoleBinding.class).stream()
            .filter(binding -> !binding.getMetadata().getName().endsWith("-leader-election"))
            .toList();
    assertThat(bindings)
        .extracting(binding -> binding.getMetadata().getNamespace())
        .containsExactlyInAnyOrder("team-a", "team-b");
    assertThat(bindings)
        .allSatisfy(
            binding -> {
              assertRoleRef(binding.getRoleRef(), "Role", FULLNAME);
              assertBoundToServiceAccount(objects, binding.getSubjects());
            });
  }

  @Test
  void leaderElectionHasItsOwnLeaseRoleInTheReleaseNamespace() {
    List<HasMetadata> objects = HelmChart.template(Map.of("watchNamespaces", TEAMS));
    String name = FULLNAME + "-leader-election";
    Role role = named(all(objects, Role.class), name);
    assertThat(role.getMetadata().getNamespace()).isEqualTo(HelmChart.NAMESPACE);
    assertThat(role.getRules())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getApiGroups()).containsExactly("coordination.k8s.io");
              assertThat(rule.getResources()).containsExactly("leases");
            });

    RoleBinding binding = named(all(objects, RoleBinding.class), name);
    assertThat(binding.getMetadata().getNamespace()).isEqualTo(HelmChart.NAMESPACE);
    assertRoleRef(binding.getRoleRef(), "Role", name);
    assertBoundToServiceAccount(objects, binding.getSubjects());
  }

  @Test
  void withoutLeaderElectionThereIsNoLeaseRole() {
    List<HasMetadata> objects = HelmChart.template(Map.of("leaderElection.enabled", "false"));
    assertThat(all(objects, Role.class)).isEmpty();
    assertThat(all(objects, RoleBinding.class)).isEmpty();
    assertThat(all(objects, ClusterRole.class)).hasSize(2);
  }

  @Test
  void theChartRendersTheSameTwiceAndHoldsNoSecret() {
    // helm template and Argo CD render without a cluster: nothing may depend on lookup or chance.
    List<HasMetadata> first = HelmChart.template(Map.of());
    assertThat(first).isEqualTo(HelmChart.template(Map.of()));
    assertThat(all(first, Secret.class)).isEmpty();
    assertThat(container(one(first, Deployment.class)).getEnv())
        .extracting(EnvVar::getName)
        .noneMatch(name -> name.contains("TOKEN"));
  }

  @Test
  void onlyWorkerPodsReachTheProgressPortAndMetricsOnlyTheListedPeers() {
    NetworkPolicy closed = one(HelmChart.template(Map.of()), NetworkPolicy.class);
    assertThat(closed.getSpec().getPodSelector().getMatchLabels())
        .isEqualTo(
            one(HelmChart.template(Map.of()), Deployment.class)
                .getSpec()
                .getSelector()
                .getMatchLabels());
    assertThat(closed.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(closed.getSpec().getIngress())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getPorts())
                  .extracting(p -> p.getPort().getStrVal())
                  .containsExactly("http");
              assertThat(rule.getFrom())
                  .singleElement()
                  .satisfies(
                      peer ->
                          assertThat(peer.getPodSelector().getMatchLabels())
                              .containsExactly(
                                  Map.entry("app.kubernetes.io/managed-by", "goldpan-operator")));
            });

    NetworkPolicy scraped =
        one(
            HelmChart.template(
                Map.of("networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.team", "obs")),
            NetworkPolicy.class);
    assertThat(scraped.getSpec().getIngress()).hasSize(2);
    assertThat(scraped.getSpec().getIngress().get(1).getPorts())
        .extracting(p -> p.getPort().getStrVal())
        .containsExactly("management");
    assertThat(
            scraped
                .getSpec()
                .getIngress()
                .get(1)
                .getFrom()
                .get(0)
                .getNamespaceSelector()
                .getMatchLabels())
        .containsExactly(Map.entry("team", "obs"));
    assertThat(
            all(HelmChart.template(Map.of("networkPolicy.enabled", "false")), NetworkPolicy.class))
        .isEmpty();
  }

  @Test
  void anImageAllowListIsEnforcedAtAdmissionAndByTheOperator() {
    assertThat(all(HelmChart.template(Map.of()), ValidatingAdmissionPolicy.class)).isEmpty();

    List<HasMetadata> objects =
        HelmChart.template(Map.of("allowedWorkerImages", "{ghcr.io/goldpan/,registry.example/w:}"));
    ValidatingAdmissionPolicy policy = one(objects, ValidatingAdmissionPolicy.class);
    assertThat(policy.getSpec().getVariables().get(0).getExpression())
        .isEqualTo("[\"ghcr.io/goldpan/\",\"registry.example/w:\"]");
    ValidatingAdmissionPolicyBinding binding = one(objects, ValidatingAdmissionPolicyBinding.class);
    assertThat(binding.getSpec().getPolicyName()).isEqualTo(policy.getMetadata().getName());
    assertThat(binding.getSpec().getValidationActions()).containsExactly("Deny");
    assertThat(container(one(objects, Deployment.class)).getEnv())
        .filteredOn(e -> e.getName().equals("GOLDPAN_OPERATOR_ALLOWED_WORKER_IMAGES"))
        .extracting(EnvVar::getValue)
        .containsExactly("ghcr.io/goldpan/,registry.example/w:");
  }

  /** Only TokenReviews are cluster-wide and always granted, bound to the operator's account. */
  private static void assertTokenReviewsBound(List<HasMetadata> objects) {
    ClusterRole auth = named(all(objects, ClusterRole.class), FULLNAME + "-auth");
    assertThat(auth.getRules())
        .singleElement()
        .satisfies(
            rule -> {
              assertThat(rule.getApiGroups()).containsExactly("authentication.k8s.io");
              assertThat(rule.getResources()).containsExactly("tokenreviews");
              assertThat(rule.getVerbs()).containsExactly("create");
            });
    ClusterRoleBinding binding = named(all(objects, ClusterRoleBinding.class), FULLNAME + "-auth");
    assertRoleRef(binding.getRoleRef(), "ClusterRole", FULLNAME + "-auth");
    assertBoundToServiceAccount(objects, binding.getSubjects());
    assertThat(all(objects, ClusterRole.class))
        .extracting(role -> role.getMetadata().getName())
        .containsAnyOf(FULLNAME + "-auth");
  }

  private static void assertProbe(Container container, Probe probe, String path) {
    assertThat(probe).as(path).isNotNull();
    HTTPGetAction get = probe.getHttpGet();
    assertThat(get.getPath()).isEqualTo(path);
    assertThat(containerPort(container, get.getPort())).as(path).isEqualTo(9000);
  }

  private static void assertRoleRef(RoleRef roleRef, String kind, String name) {
    assertThat(roleRef.getApiGroup()).isEqualTo("rbac.authorization.k8s.io");
    assertThat(roleRef.getKind()).isEqualTo(kind);
    assertThat(roleRef.getName()).isEqualTo(name);
  }

  /** The subjects are exactly the operator pods' ServiceAccount, which the chart creates. */
  private static void assertBoundToServiceAccount(
      List<HasMetadata> objects, List<Subject> subjects) {
    ServiceAccount account = one(objects, ServiceAccount.class);
    String podAccount =
        one(objects, Deployment.class).getSpec().getTemplate().getSpec().getServiceAccountName();
    assertThat(account.getMetadata().getName()).isEqualTo(podAccount);
    assertThat(subjects)
        .singleElement()
        .satisfies(
            subject -> {
              assertThat(subject.getKind()).isEqualTo("ServiceAccount");
              assertThat(subject.getName()).isEqualTo(podAccount);
              assertThat(subject.getNamespace()).isEqualTo(account.getMetadata().getNamespace());
            });
  }

  /** The container port that a probe or Service port names, by number or by port name. */
  private static int containerPort(Container container, IntOrString port) {
    if (port.getIntVal() != null) {
      return port.getIntVal();
    }
    return container.getPorts().stream()
        .filter(candidate -> port.getStrVal().equals(candidate.getName()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal()))
        .getContainerPort();
  }

  private static ServicePort port(Service service, String name) {
    return service.getSpec().getPorts().stream()
        .filter(port -> port.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Service port named " + name));
  }

  private static Container container(Deployment deployment) {
    List<Container> containers = deployment.getSpec().getTemplate().getSpec().getContainers();
    assertThat(containers).hasSize(1);
    return containers.get(0);
  }

  /** The container's plain-value environment variables. */
  private static Map<String, String> env(Container container) {
    return container.getEnv().stream()
        .filter(variable -> variable.getValue() != null)
        .collect(Collectors.toMap(EnvVar::getName, EnvVar::getValue));
  }

  private static <T extends HasMetadata> List<T> all(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type) {
    List<T> matches = all(objects, type);
    assertThat(matches).as(type.getSimpleName()).hasSize(1);
    return matches.get(0);
  }

  private static <T extends HasMetadata> T named(List<T> objects, String name) {
    return objects.stream()
        .filter(object -> object.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("nothing named " + name + " in " + objects));
  }
}
