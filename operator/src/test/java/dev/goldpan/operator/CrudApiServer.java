package dev.goldpan.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.HashMap;
import java.util.Map;

/**
 * The Fabric8 mock API server in CRUD mode, for QuarkusTests. The mock refuses server-side apply
 * (415), which both the operator's status patches and the progress endpoint use; here an apply
 * patch is merged as a JSON merge patch, which is what apply does for the fields one manager sets.
 * (Field ownership itself is only checked against a real API server, in the e2e suite.)
 */
public class CrudApiServer implements QuarkusTestResourceLifecycleManager {

  private KubernetesMockServer server;

  @Override
  public Map<String, String> start() {
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
