package dev.goldpan.worker.storage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.goldpan.worker.stage.Workspace;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
}
