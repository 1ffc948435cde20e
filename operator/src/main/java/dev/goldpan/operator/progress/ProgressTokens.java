package dev.goldpan.operator.progress;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.operator.OperatorConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jboss.logging.Logger;

/**
 * Per-job bearer tokens for the progress endpoint: HMAC-SHA256 of the job's UID under the
 * operator's key. A token names one incarnation of one job, and checking it needs no API call.
 */
@ApplicationScoped
public class ProgressTokens {

  private static final Logger LOG = Logger.getLogger(ProgressTokens.class);
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  public ProgressTokens(OperatorConfig config) {
    byte[] keyBytes;
    if (config.progress().tokenKey().isPresent() && !config.progress().tokenKey().get().isBlank()) {
      keyBytes = config.progress().tokenKey().get().getBytes(StandardCharsets.UTF_8);
    } else {
      LOG.warn(
          "goldpan.operator.progress.token-key is not set; using a random key, so progress"
              + " tokens change when the operator restarts");
      keyBytes = new byte[32];
      new SecureRandom().nextBytes(keyBytes);
    }
    this.key = new SecretKeySpec(keyBytes, ALGORITHM);
  }

  /** The token of {@code job}: URL-safe base64 of HMAC-SHA256(key, uid). */
  public String tokenFor(DistillationJob job) {
    return tokenForUid(job.getMetadata().getUid());
  }

  String tokenForUid(String uid) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      byte[] digest = mac.doFinal(uid.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }

  /** Whether {@code presented} is {@code job}'s token, compared in constant time. */
  public boolean matches(DistillationJob job, String presented) {
    if (presented == null) {
      return false;
    }
    byte[] expected = tokenFor(job).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.US_ASCII));
  }
}
