package dev.goldpan.e2e.node;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.function.Supplier;

/**
 * Read-modify-write against objects other controllers write too (the node lifecycle controller, the
 * Job controller): a 409 Conflict means "read again and retry", as client-go's RetryOnConflict
 * does.
 */
final class Conflicts {

  private static final int ATTEMPTS = 8;

  private Conflicts() {}

  static <T> T retry(Supplier<T> update) {
    for (int attempt = 1; ; attempt++) {
      try {
        return update.get();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == ATTEMPTS) {
          throw e;
        }
        try {
          Thread.sleep(50L * attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }
}
