package dev.goldpan.operator.progress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.operator.Sha256;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Checks a worker's bearer token with a TokenReview: a service-account token that the kubelet
 * projected into a worker pod for the audience {@value #AUDIENCE}, bound to that pod. The answer
 * (the pod, or none) is kept per token for {@link #REMEMBER}, or until the token expires if that is
 * sooner, so that a worker reporting every few seconds costs one review per token, not one per
 * report (a deleted pod's token is refused anyway: the pod must still be in the operator's cache).
 * A review that failed is not kept. The operator holds no key and no Secret.
 */
@ApplicationScoped
public class ProgressAuthenticator {

  /** The audience of the workers' projected tokens; a token for the API server is refused. */
  public static final String AUDIENCE = "goldpan-progress";

  static final String POD_NAME = "authentication.kubernetes.io/pod-name";
  static final String POD_UID = "authentication.kubernetes.io/pod-uid";
  private static final String SERVICE_ACCOUNT = "system:serviceaccount:";
  private static final Duration REMEMBER = Duration.ofMinutes(10);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_REMEMBERED = 20_000;
  private static final Logger LOG = Logger.getLogger(ProgressAuthenticator.class);

  private record Review(Optional<WorkerIdentity> identity, Instant until) {}

  private final KubernetesClient client;
  private final Clock clock;
  private final Map<String, Review> reviews = new ConcurrentHashMap<>();

  public ProgressAuthenticator(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /** The pod {@code token} was issued to, or empty when it is not a worker's progress token. */
  public Optional<WorkerIdentity> authenticate(String token) {
    String key = digest(token);
    Instant now = clock.instant();
    Review known = reviews.get(key);
    if (known != null && now.isBefore(known.until())) {
      return known.identity();
    }
    Optional<WorkerIdentity> identity;
    try {
      identity = review(token);
    } catch (KubernetesClientException e) {
      LOG.warnf("TokenReview failed: %s", e.getMessage());
      return Optional.empty();
    }
    if (reviews.size() >= MAX_REMEMBERED) {
      reviews.values().removeIf(review -> !now.isBefore(review.until()));
      if (reviews.size() >= MAX_REMEMBERED) {
        reviews.clear();
      }
    }
    Instant until = now.plus(REMEMBER);
    Instant expiry = expiry(token);
    reviews.put(
        key, new Review(identity, expiry != null && expiry.isBefore(until) ? expiry : until));
    return identity;
  }

  /**
   * The {@code exp} claim of a JWT, unverified (the TokenReview verified it); null when the token
   * is no JWT or has none.
   */
  private static Instant expiry(String token) {
    String[] parts = token.split("\\.");
    if (parts.length != 3) {
      return null;
    }
    try {
      JsonNode exp = JSON.readTree(Base64.getUrlDecoder().decode(parts[1])).get("exp");
      return exp != null && exp.canConvertToLong() ? Instant.ofEpochSecond(exp.asLong()) : null;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  private Optional<WorkerIdentity> review(String token) {
    TokenReview review =
        new TokenReviewBuilder()
            .withNewSpec()
            .withToken(token)
            .withAudiences(AUDIENCE)
            .endSpec()
            .build();
    TokenReviewStatus status = client.resource(review).create().getStatus();
    if (status == null
        || !Boolean.TRUE.equals(status.getAuthenticated())
        || status.getAudiences() == null
        || !status.getAudiences().contains(AUDIENCE)
        || status.getUser() == null
        || status.getUser().getUsername() == null
        || !status.getUser().getUsername().startsWith(SERVICE_ACCOUNT)) {
      return Optional.empty();
    }
    // system:serviceaccount:<namespace>:<name>
    String[] account = status.getUser().getUsername().split(":");
    Map<String, List<String>> extra = status.getUser().getExtra();
    String podName = single(extra, POD_NAME);
    String podUid = single(extra, POD_UID);
    if (account.length != 4 || podName == null || podUid == null) {
      return Optional.empty();
    }
    return Optional.of(new WorkerIdentity(account[2], podName, podUid));
  }

  private static String single(Map<String, List<String>> extra, String key) {
    List<String> values = extra == null ? null : extra.get(key);
    return values == null || values.size() != 1 ? null : values.get(0);
  }

  private static String digest(String token) {
    return Sha256.hex(token);
  }
}
