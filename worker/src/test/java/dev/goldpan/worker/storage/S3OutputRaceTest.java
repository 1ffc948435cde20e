package dev.goldpan.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.worker.progress.Progress;
import dev.goldpan.worker.stage.EvaluateStage;
import dev.goldpan.worker.stage.StageContext;
import dev.goldpan.worker.stage.TinyJobs;
import dev.goldpan.worker.stage.Workspace;
import dev.goldpan.worker.task.Locations;
import dev.goldpan.worker.task.WorkerTask;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shards that finish at the same instant merge their manifest entries into one stored {@code
 * manifest.json}: none may be lost. Each round, {@value #SHARDS} outputs pull the same prefix
 * (holding an earlier stage's manifest, or none), each records its own stage entry, and a barrier
 * releases all their {@link S3Output#finish} calls at once against a real MinIO.
 *
 * <p>The regular suite runs a few rounds; {@code -Dgoldpan.race.rounds=100} runs the full check.
 */
class S3OutputRaceTest {

  @RegisterExtension static final MinioServer MINIO = new MinioServer();

  private static final String BUCKET = "goldpan-race";
  private static final int SHARDS = 4;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path directory;

  @BeforeAll
  static void createBucket() {
    MINIO.createBucket(BUCKET);
  }

  @Test
  void shardsFinishingTogetherLoseNoManifestEntry() throws Exception {
    int rounds = Integer.getInteger("goldpan.race.rounds", 3);
    List<String> lossy = new ArrayList<>();
    ExecutorService shards = Executors.newFixedThreadPool(SHARDS);
    try (S3Store store = new S3Store(MINIO.settings())) {
      for (int round = 0; round < rounds; round++) {
        S3Location location =
            S3Location.parse("s3://" + BUCKET + "/round-" + round + "/job", "test");
        // Odd rounds race to create the manifest, even ones to update an earlier stage's.
        boolean update = round % 2 == 0;
        if (update) {
          Path earlier =
              Files.writeString(
                  directory.resolve("earlier-" + round + ".json"),
                  "{\"stages\": {\"select\": {\"seconds\": 1}}}",
                  StandardCharsets.UTF_8);
          store.upload(earlier, location, Workspace.MANIFEST);
        }

        List<S3Output> outputs = new ArrayList<>();
        for (int shard = 0; shard < SHARDS; shard++) {
          S3Output output =
              S3Output.pull(
                  new S3Store(MINIO.settings()),
                  location,
                  directory.resolve("round-" + round + "-shard-" + shard));
          Workspace workspace = new Workspace(output.directory());
          workspace.setPublisher(output);
          String key = "distill-" + shard;
          workspace.updateManifest(
              manifest -> manifest.with("stages").putObject(key).put("seconds", 2));
          outputs.add(output);
        }
        CyclicBarrier start = new CyclicBarrier(SHARDS);
        List<Future<?>> finishing = new ArrayList<>();
        for (S3Output output : outputs) {
          finishing.add(
              shards.submit(
                  () -> {
                    start.await();
                    output.finish();
                    return null;
                  }));
        }
        for (Future<?> finished : finishing) {
          finished.get();
        }
        outputs.forEach(S3Output::close);

        JsonNode stored = JSON.readTree(store.read(location, Workspace.MANIFEST).orElseThrow());
        TreeSet<String> stages = new TreeSet<>();
        stored.path("stages").fieldNames().forEachRemaining(stages::add);
        TreeSet<String> expected = new TreeSet<>(update ? List.of("select") : List.of());
        IntStream.range(0, SHARDS).forEach(shard -> expected.add("distill-" + shard));
        if (!stages.equals(expected)) {
          lossy.add("round " + round + " kept " + stages);
        }
      }
    } finally {
      shards.shutdownNow();
    }
    System.out.printf(
        "S3OutputRaceTest: %d of %d rounds lost a manifest entry%n", lossy.size(), rounds);
    assertThat(lossy)
        .as("rounds (of %d) in which a shard's manifest entry was lost", rounds)
        .isEmpty();
  }

  /**
   * Evaluation shards that finish at the same instant: each has its part (here written as if it had
   * just trained its network), and a barrier releases their evaluate stages at once, each in a work
   * directory of its own. Each publishes its part, then looks for the others in the bucket; whoever
   * finds them all merges. Every round must end with evaluation.json holding every network.
   */
  @Test
  void evaluationShardsFinishingTogetherLeaveACompleteEvaluation() throws Exception {
    int rounds = Integer.getInteger("goldpan.race.rounds", 3);
    Path data = TinyJobs.writeDataSet(directory.resolve("data"), 12, 6);
    List<String> incomplete = new ArrayList<>();
    ExecutorService shards = Executors.newFixedThreadPool(SHARDS);
    try (S3Store store = new S3Store(MINIO.settings())) {
      for (int round = 0; round < rounds; round++) {
        String uri = "s3://" + BUCKET + "/evaluate-" + round + "/job";
        Path task =
            TinyJobs.writeManifest(
                directory.resolve("evaluate-" + round + ".yaml"),
                data,
                directory.resolve("unused"),
                Map.of(
                    "spec.output.location",
                    uri,
                    "spec.evaluation.models",
                    SHARDS,
                    "spec.evaluation.parallelism",
                    SHARDS));
        List<S3Output> outputs = new ArrayList<>();
        List<StageContext> contexts = new ArrayList<>();
        for (int shard = 0; shard < SHARDS; shard++) {
          S3Output output =
              S3Output.pull(
                  new S3Store(MINIO.settings()),
                  S3Location.parse(uri, "test"),
                  directory.resolve("evaluate-" + round + "-shard-" + shard));
          Workspace workspace = new Workspace(output.directory());
          workspace.setPublisher(output);
          Files.writeString(
              workspace.file("evaluation-part-" + shard + ".json"),
              "{\"syntheticImages\": 6, \"networks\": ["
                  + shard
                  + "], \"synthetic\": [0.5"
                  + shard
                  + "], \"baselines\": {\"random-real\": [0.4"
                  + shard
                  + "]}}");
          outputs.add(output);
          contexts.add(
              new StageContext(
                  WorkerTask.read(task),
                  workspace,
                  new Locations(Map.of(), Locations.DEFAULT_VOLUME_ROOT),
                  stage -> Progress.NONE));
        }
        CyclicBarrier start = new CyclicBarrier(SHARDS);
        List<Future<EvaluateStage.EvalResult>> finishing = new ArrayList<>();
        for (int shard = 0; shard < SHARDS; shard++) {
          int index = shard;
          finishing.add(
              shards.submit(
                  () -> {
                    start.await();
                    return new EvaluateStage(contexts.get(index)).run(index);
                  }));
        }
        int merged = 0;
        for (Future<EvaluateStage.EvalResult> finished : finishing) {
          merged += finished.get().complete() ? 1 : 0;
        }
        outputs.forEach(S3Output::close);

        JsonNode evaluation =
            store
                .read(S3Location.parse(uri, "test"), EvaluateStage.EVALUATION)
                .map(S3OutputRaceTest::json)
                .orElse(null);
        List<Double> accuracies = new ArrayList<>();
        if (evaluation != null) {
          evaluation
              .path("synthetic")
              .path("accuracies")
              .forEach(a -> accuracies.add(a.asDouble()));
        }
        if (merged == 0 || !accuracies.equals(List.of(0.50, 0.51, 0.52, 0.53))) {
          incomplete.add("round " + round + ": " + merged + " merged, stored " + accuracies);
        }
      }
    } finally {
      shards.shutdownNow();
    }
    System.out.printf(
        "S3OutputRaceTest: %d of %d evaluation rounds ended without a complete evaluation.json%n",
        incomplete.size(), rounds);
    assertThat(incomplete)
        .as("rounds (of %d) that ended without every network in evaluation.json", rounds)
        .isEmpty();
  }

  private static JsonNode json(byte[] content) {
    try {
      return JSON.readTree(content);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
