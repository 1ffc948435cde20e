package dev.goldpan.operator.chart;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The repository's Helm chart as the real Helm CLI renders it: the binary that {@code
 * e2e/tools/helm-build} caches in {@code ~/.cache/goldpan/bin/helm} (or {@code
 * $GOLDPAN_CACHE/bin/helm}). Without the binary the tests fail (the build makes it first); they are
 * never skipped.
 */
public final class HelmChart {

  /** The release name and namespace that {@link #template} renders with. */
  public static final String RELEASE = "goldpan";

  public static final String NAMESPACE = "goldpan";

  private static final long TIMEOUT_SECONDS = 120;
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private HelmChart() {}

  /** The binary: bin/helm in $GOLDPAN_CACHE or ~/.cache/goldpan. */
  public static Path helm() {
    String cache = System.getenv("GOLDPAN_CACHE");
    Path root =
        cache != null && !cache.isBlank()
            ? Path.of(cache)
            : Path.of(System.getProperty("user.home"), ".cache", "goldpan");
    return root.resolve("bin").resolve("helm");
  }

  /** charts/goldpan in the repository that the build names in {@code goldpan.repository}. */
  public static Path chart() {
    return Path.of(System.getProperty("goldpan.repository", ".."))
        .toAbsolutePath()
        .normalize()
        .resolve("charts")
        .resolve("goldpan");
  }

  /**
   * The objects that {@code helm template} renders with {@code --set key=value} for each entry; a
   * list value uses Helm's brace syntax, e.g. {@code watchNamespaces={team-a,team-b}}. The CRDs in
   * crds/ are left out, as {@code helm template} leaves them out.
   */
  public static List<HasMetadata> template(Map<String, String> setValues) {
    return render(setValues, false);
  }

  /** As {@link #template}, with the CRDs in crds/ ({@code --include-crds}). */
  public static List<HasMetadata> templateWithCrds(Map<String, String> setValues) {
    return render(setValues, true);
  }

  /** The output of {@code helm lint --strict}, which fails on warnings as well as errors. */
  public static String lint() {
    return run(List.of("lint", "--strict", chart().toString()));
  }

  private static List<HasMetadata> render(Map<String, String> setValues, boolean includeCrds) {
    List<String> arguments = new ArrayList<>();
    arguments.addAll(List.of("template", RELEASE, chart().toString(), "--namespace", NAMESPACE));
    if (includeCrds) {
      arguments.add("--include-crds");
    }
    setValues.forEach((key, value) -> arguments.addAll(List.of("--set", key + "=" + value)));
    Object parsed = SERIALIZATION.unmarshal(run(arguments));
    List<?> documents = parsed instanceof List<?> list ? list : List.of(parsed);
    List<HasMetadata> objects = new ArrayList<>();
    for (Object document : documents) {
      if (!(document instanceof HasMetadata object)) {
        throw new IllegalStateException("helm rendered an object without metadata: " + document);
      }
      objects.add(object);
    }
    return objects;
  }

  /** Runs helm with {@code arguments}; its standard output, or a failure with its error output. */
  private static String run(List<String> arguments) {
    Path helm = helm();
    if (!Files.isExecutable(helm)) {
      throw new IllegalStateException(
          "no Helm at "
              + helm
              + ": run e2e/tools/helm-build (it builds Helm from its Go module into that path)");
    }
    List<String> command = new ArrayList<>();
    command.add(helm.toString());
    command.addAll(arguments);
    try {
      Process process = new ProcessBuilder(command).start();
      process.getOutputStream().close();
      CompletableFuture<String> errors =
          CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
      String output = readAll(process.getInputStream());
      if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(String.join(" ", command) + " timed out");
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command)
                + " exited with "
                + process.exitValue()
                + ":\n"
                + errors.join()
                + output);
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String readAll(InputStream stream) {
    try (stream) {
      return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
