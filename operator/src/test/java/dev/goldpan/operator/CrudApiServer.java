package dev.goldpan.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.zjsonpatch.JsonDiff;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The Fabric8 mock API server in CRUD mode, for QuarkusTests. The mock refuses server-side apply
 * (415), which both the operator's status patches and the progress endpoint use; here an apply
 * patch is merged as a JSON merge patch, which is what apply does for the fields one manager sets.
 * (Field ownership itself is only checked against a real API server, in the e2e suite.)
 */
public class CrudApiServer implements QuarkusTestResourceLifecycleManager {

  /** User agent of the tests' own client; its requests are not the operator's. */
  static final String TEST_USER_AGENT = "goldpan-tests";

  /**
   * Where the kinds of request the operator made are listed, one "group resource verb" per line
   * ("core" for the core group). A file, because this class is loaded twice: once for the test
   * resource and once in the application's class loader.
   */
  static final Path OPERATOR_CALLS = Path.of("target", "operator-api-calls.txt");

  /**
   * Every request the operator made, in order, one "group resource verb name fieldManager" per line
   * ("-" where the request names no object or no field manager): for counting its requests during a
   * window of a test (see {@link #operatorRequestMark} and {@link #operatorRequestsSince}). A file
   * for the same reason as {@link #OPERATOR_CALLS}.
   */
  static final Path OPERATOR_REQUESTS = Path.of("target", "operator-api-requests.txt");

  private KubernetesMockServer server;

  /** Every kind of request the operator (anything but the tests' client) has made so far. */
  static Set<String> operatorCalls() {
    return new TreeSet<>(lines(OPERATOR_CALLS));
  }

  /** How many requests the operator has made so far: a mark for {@link #operatorRequestsSince}. */
  static int operatorRequestMark() {
    return lines(OPERATOR_REQUESTS).size();
  }

  /**
   * The operator's requests since {@code mark}, in the order made, as lines of {@link
   * #OPERATOR_REQUESTS}.
   */
  static List<String> operatorRequestsSince(int mark) {
    List<String> all = lines(OPERATOR_REQUESTS);
    return all.subList(Math.min(mark, all.size()), all.size());
  }

  private static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A token the mock's TokenReview accepts as {@code pod}'s projected token for the progress
   * audience (the real API server checks a signed JWT; here the token simply names the pod).
   */
  static String workerToken(Pod pod) {
    return "pod/"
        + pod.getMetadata().getNamespace()
        + "/"
        + pod.getMetadata().getName()
        + "/"
        + pod.getMetadata().getUid();
  }

  /** A client for the tests themselves, told apart from the operator's by its user agent. */
  static KubernetesClient testClient() {
    String url =
        ConfigProvider.getConfig()
            .getValue("quarkus.kubernetes-client.api-server-url", String.class);
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder()
                .withMasterUrl(url)
                .withTrustCerts(true)
                .withNamespace("default")
                .withUserAgent(TEST_USER_AGENT)
                .build())
        .build();
  }

  @Override
  public Map<String, String> start() {
    // Once per test JVM (a system property, since this class is loaded more than once).
    if (System.getProperty(OPERATOR_CALLS.toString()) == null) {
      System.setProperty(OPERATOR_CALLS.toString(), "recording");
      try {
        Files.deleteIfExists(OPERATOR_CALLS);
        Files.deleteIfExists(OPERATOR_REQUESTS);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    server =
        new KubernetesMockServer(
            new io.fabric8.mockwebserver.Context(),
            new MockWebServer(),
            new HashMap<>(),
            new ApplyAsMerge(),
            false);
    server.init();
    return Map.of(
        "quarkus.kubernetes-client.api-server-url", server.url("/"),
        "quarkus.kubernetes-client.trust-certs", "true",
        "quarkus.kubernetes-client.namespace", "default",
        "quarkus.kubernetes-client.devservices.enabled", "false");
  }

  @Override
  public void stop() {
    if (server != null) {
      server.destroy();
    }
  }

  /**
   * CRUD dispatcher that takes application/apply-patch+yaml as an RFC 7386 merge patch (the mock's
   * own merge patch concatenates lists), sent on to the mock as the equivalent JSON Patch.
   */
  static final class ApplyAsMerge extends KubernetesCrudDispatcher {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SEEN = new HashSet<>();
    private static final String RULES_REVIEW =
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews";
    private static final String TOKEN_REVIEW = "/apis/authentication.k8s.io/v1/tokenreviews";
    private static final Pattern EVENTS =
        Pattern.compile(
            "^/api/v1/namespaces/(?<namespace>[^/]+)/events"
                + "(?:\\?fieldSelector=involvedObject\\.uid(?:%3D|=)(?<uid>[^&]+).*|\\?.*)?$");
    private static final List<JsonNode> EVENTS_SEEN = new CopyOnWriteArrayList<>();
    private static final Pattern FIELD_MANAGER = Pattern.compile("[?&]fieldManager=([^&]+)");
    private static final Pattern PATH =
        Pattern.compile(
            "^/(?:api/v1|apis/(?<group>[^/]+)/[^/]+)(?:/namespaces/[^/]+)?/(?<resource>[^/?]+)"
                + "(?:/(?<name>[^/?]+)(?:/(?<subresource>[^/?]+))?)?");

    @Override
    public MockResponse dispatch(RecordedRequest request) {
      if (request.getPath().startsWith(RULES_REVIEW)) {
        return allRulesReview(request);
      }
      String agent = request.getHeader("User-Agent");
      if (agent == null || !agent.startsWith(TEST_USER_AGENT)) {
        record(request);
      }
      if (request.getPath().startsWith(TOKEN_REVIEW)) {
        return tokenReview(request);
      }
      Matcher events = EVENTS.matcher(request.getPath());
      if (events.matches()) {
        if ("POST".equals(request.getMethod())) {
          return super.dispatch(remember(request));
        } else if ("GET".equals(request.getMethod()) && events.group("uid") != null) {
          return eventsAbout(events.group("namespace"), events.group("uid"));
        }
      }
      return super.dispatch(request);
    }

    /**
     * JOSDK's leader election asks, through a SelfSubjectRulesReview, whether it may use Leases
     * (every authenticated user may ask: system:basic-user). The mock cannot answer; here the
     * answer is "everything", and the RBAC check compares the chart with the calls made instead.
     */
    private static MockResponse allRulesReview(RecordedRequest request) {
      try {
        ObjectNode review = (ObjectNode) JSON.readTree(request.getUtf8Body());
        ObjectNode rule = JSON.createObjectNode();
        rule.putArray("verbs").add("*");
        rule.putArray("apiGroups").add("*");
        rule.putArray("resources").add("*");
        ObjectNode status = review.putObject("status");
        status.putArray("resourceRules").add(rule);
        status.putArray("nonResourceRules");
        status.put("incomplete", false);
        review.putObject("metadata");
        return new MockResponse().setResponseCode(201).setBody(JSON.writeValueAsString(review));
      } catch (IOException e) {
        return new MockResponse().setResponseCode(400).setBody(e.getMessage());
      }
    }

    /**
     * Authenticates the tokens {@link #workerToken} makes, for the audiences asked (as a bound
     * service-account token of the pod's namespace's default account would be); any other token is
     * not authenticated.
     */
    private static MockResponse tokenReview(RecordedRequest request) {
      try {
        ObjectNode review = (ObjectNode) JSON.readTree(request.getUtf8Body());
        String token = review.path("spec").path("token").asText();
        ObjectNode status = review.putObject("status");
        String[] parts = token.split("/");
        if (parts.length == 4 && parts[0].equals("pod")) {
          status.put("authenticated", true);
          status.set("audiences", review.path("spec").path("audiences"));
          ObjectNode user = status.putObject("user");
          user.put("username", "system:serviceaccount:" + parts[1] + ":default");
          ObjectNode extra = user.putObject("extra");
          extra.putArray("authentication.kubernetes.io/pod-name").add(parts[2]);
          extra.putArray("authentication.kubernetes.io/pod-uid").add(parts[3]);
        } else {
          status.put("authenticated", false);
          status.put("error", "invalid bearer token");
        }
        review.putObject("metadata");
        return new MockResponse().setResponseCode(201).setBody(JSON.writeValueAsString(review));
      } catch (IOException e) {
        return new MockResponse().setResponseCode(400).setBody(e.getMessage());
      }
    }

    /** Keeps a created Event, for the field selector below; the request, to pass on. */
    private static RecordedRequest remember(RecordedRequest request) {
      byte[] body = request.getUtf8Body().getBytes(StandardCharsets.UTF_8);
      try {
        EVENTS_SEEN.add(JSON.readTree(body));
      } catch (IOException e) {
        // Not JSON: the CRUD dispatcher answers it.
      }
      return new RecordedRequest(
          request.getHttpVersion(),
          request.method(),
          request.getPath(),
          request.getHeaders(),
          new Buffer(body));
    }

    /**
     * The Events about the object of {@code uid}: the API server's field selector
     * involvedObject.uid, which the mock's CRUD mode does not know (it matches no object).
     */
    private static MockResponse eventsAbout(String namespace, String uid) {
      ObjectNode list = JSON.createObjectNode();
      list.put("apiVersion", "v1");
      list.put("kind", "EventList");
      list.putObject("metadata");
      var items = list.putArray("items");
      EVENTS_SEEN.stream()
          .filter(e -> namespace.equals(e.path("metadata").path("namespace").asText()))
          .filter(e -> uid.equals(e.path("involvedObject").path("uid").asText()))
          .forEach(items::add);
      return new MockResponse().setResponseCode(200).setBody(list.toString());
    }

    /**
     * Notes {@code request} in {@link #OPERATOR_REQUESTS}, and its kind in {@link #OPERATOR_CALLS}.
     */
    private static void record(RecordedRequest request) {
      String path = request.getPath();
      Matcher matcher = PATH.matcher(path);
      if (!matcher.find()) {
        return;
      }
      String group = matcher.group("group") == null ? "" : matcher.group("group");
      String resource = matcher.group("resource");
      if (matcher.group("subresource") != null) {
        resource = resource + "/" + matcher.group("subresource");
      }
      boolean named = matcher.group("name") != null;
      String verb =
          switch (request.getMethod()) {
            case "GET" -> path.contains("watch=true") ? "watch" : named ? "get" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> named ? "delete" : "deletecollection";
            default -> request.getMethod().toLowerCase(java.util.Locale.ROOT);
          };
      String call = (group.isEmpty() ? "core" : group) + " " + resource + " " + verb;
      Matcher manager = FIELD_MANAGER.matcher(path);
      String line =
          call
              + " "
              + (named ? matcher.group("name") : "-")
              + " "
              + (manager.find() ? manager.group(1) : "-");
      synchronized (SEEN) {
        if (SEEN.add(call)) {
          append(OPERATOR_CALLS, call);
        }
        append(OPERATOR_REQUESTS, line);
      }
    }

    private static void append(Path file, String line) {
      try {
        Files.createDirectories(file.getParent());
        Files.writeString(file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public MockResponse handlePatch(RecordedRequest request) {
      String contentType = request.getHeader("Content-Type");
      if (contentType == null || !contentType.startsWith("application/apply-patch")) {
        return super.handlePatch(request);
      }
      String path = withoutQuery(request.getPath());
      Map.Entry<AttributeSet, String> existing = findResource(getKey(path));
      if (existing == null) {
        return new MockResponse().setResponseCode(404);
      }
      try {
        JsonNode original = JSON.readTree(existing.getValue());
        JsonNode merged = merge(original.deepCopy(), JSON.readTree(request.getUtf8Body()));
        byte[] jsonPatch = JSON.writeValueAsBytes(JsonDiff.asJson(original, merged));
        return super.handlePatch(
            new RecordedRequest(
                request.getHttpVersion(),
                request.method(),
                path,
                request
                    .getHeaders()
                    .newBuilder()
                    .set("Content-Type", "application/json-patch+json")
                    .build(),
                new Buffer(jsonPatch)));
      } catch (IOException e) {
        return new MockResponse().setResponseCode(400).setBody(e.getMessage());
      }
    }

    /** RFC 7386: objects merge key by key, null removes, anything else replaces. */
    private static JsonNode merge(JsonNode target, JsonNode patch) {
      if (!patch.isObject() || !target.isObject()) {
        return patch;
      }
      ObjectNode result = (ObjectNode) target;
      patch
          .fields()
          .forEachRemaining(
              field -> {
                if (field.getValue().isNull()) {
                  result.remove(field.getKey());
                } else if (result.has(field.getKey())) {
                  result.set(field.getKey(), merge(result.get(field.getKey()), field.getValue()));
                } else {
                  result.set(field.getKey(), field.getValue());
                }
              });
      return result;
    }

    /** The mock only recognises a .../status path without apply's ?fieldManager=...&force=true. */
    private static String withoutQuery(String path) {
      int query = path.indexOf('?');
      return query < 0 ? path : path.substring(0, query);
    }
  }
}
