package dev.goldpan.worker.stage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.api.v1alpha1.EmbeddingPrecision;
import dev.goldpan.worker.engine.CausalSelection;
import dev.goldpan.worker.engine.Distiller;
import dev.goldpan.worker.io.NpyArray;
import dev.goldpan.worker.io.Npz;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checkpoints of the distill stage, {@code checkpoints/distill-<iteration>.npz} (or {@code
 * distill-shard<k>-<iteration>.npz}): the synthetic images, their momentum, the iteration, the
 * active pools, the history (loss curve, causal refreshes) and, for distribution matching, the
 * number format its real embeddings were computed in. Random choices are derived from the seed and
 * the iteration, so nothing else is needed to continue exactly.
 *
 * <p>Each file is written atomically and carries a SHA-256 of its content; a checkpoint that does
 * not load or whose digest does not match is skipped in favour of the previous one. The newest
 * {@value #KEEP} are kept.
 */
final class DistillCheckpoints {

  static final String DIRECTORY = "checkpoints";
  static final int KEEP = 3;

  /**
   * A loaded checkpoint; {@code realEmbeddingPrecision} is float32 or bfloat16 as recorded, auto
   * when the checkpoint records none (gradient matching).
   */
  record Checkpoint(
      Path file,
      Distiller.State state,
      List<double[]> lossCurve,
      List<CausalSelection.Refresh> refreshes,
      EmbeddingPrecision realEmbeddingPrecision) {}

  private final Workspace workspace;
  private final String prefix;
  private final Pattern name;

  DistillCheckpoints(Workspace workspace, int shard, int shards) {
    this.workspace = workspace;
    this.prefix = shards == 1 ? "distill-" : "distill-shard" + shard + "-";
    this.name = Pattern.compile(Pattern.quote(prefix) + "(\\d+)\\.npz");
  }

  /**
   * Writes a checkpoint; {@code realEmbeddingPrecision} (float32 or bfloat16) is recorded unless it
   * is auto, which stands for "not applicable".
   */
  void write(
      Distiller.State state,
      int[] shape,
      List<double[]> lossCurve,
      List<CausalSelection.Refresh> refreshes,
      EmbeddingPrecision realEmbeddingPrecision) {
    Map<String, NpyArray> arrays = new LinkedHashMap<>();
    arrays.put("synthetic", NpyArray.float32(state.synthetic(), shape));
    arrays.put("velocity", NpyArray.float32(state.velocity(), shape));
    ObjectNode history = Workspace.JSON.createObjectNode();
    history.put("iteration", state.iteration());
    HistoryJson.writeIndexLists(history.putArray("pools"), state.pools());
    HistoryJson.writeLossCurve(history.putArray("lossCurve"), lossCurve);
    HistoryJson.writeRefreshes(history.putArray("refreshes"), refreshes);
    if (realEmbeddingPrecision != EmbeddingPrecision.AUTO) {
      history.put("realEmbeddingPrecision", realEmbeddingPrecision.value());
    }
    byte[] json = history.toString().getBytes(StandardCharsets.UTF_8);
    arrays.put("state", NpyArray.uint8(json, json.length));
    byte[] digest = digest(arrays);
    arrays.put("sha256", NpyArray.uint8(digest, digest.length));
    String file = DIRECTORY + "/" + prefix + state.iteration() + ".npz";
    Npz.write(workspace.file(file), arrays);
    workspace.publish(file);
    prune();
  }

  /** The newest checkpoint that loads and matches its digest, if any. */
  Optional<Checkpoint> newestValid(int[] shape) {
    for (Path file : newestFirst()) {
      try {
        return Optional.of(load(file, shape));
      } catch (RuntimeException | IOException corrupt) {
        System.err.println(
            "distill: checkpoint "
                + file
                + " is unusable ("
                + corrupt.getMessage()
                + "); trying the previous one");
      }
    }
    return Optional.empty();
  }

  private Checkpoint load(Path file, int[] shape) throws IOException {
    Map<String, NpyArray> arrays = new LinkedHashMap<>(Npz.read(file));
    NpyArray recorded = arrays.remove("sha256");
    if (recorded == null || !Arrays.equals(recorded.data(), digest(arrays))) {
      throw new IOException("its SHA-256 does not match its content");
    }
    NpyArray synthetic = arrays.get("synthetic");
    NpyArray velocity = arrays.get("velocity");
    if (synthetic == null || velocity == null || !Arrays.equals(synthetic.shape(), shape)) {
      throw new IOException("it holds no synthetic set of shape " + Arrays.toString(shape));
    }
    JsonNode history = Workspace.JSON.readTree(arrays.get("state").data());
    int[][] pools = HistoryJson.readIndexLists(history.path("pools"));
    List<double[]> curve = HistoryJson.readLossCurve(history.path("lossCurve"));
    List<CausalSelection.Refresh> refreshes = HistoryJson.readRefreshes(history.path("refreshes"));
    Distiller.State state =
        new Distiller.State(
            history.path("iteration").asInt(), synthetic.floats(), velocity.floats(), pools);
    String precision = history.path("realEmbeddingPrecision").asText("");
    return new Checkpoint(
        file,
        state,
        curve,
        refreshes,
        Arrays.stream(EmbeddingPrecision.values())
            .filter(value -> value.value().equals(precision))
            .findFirst()
            .orElse(EmbeddingPrecision.AUTO));
  }

  private List<Path> newestFirst() {
    Path directory = workspace.file(DIRECTORY);
    List<Path> files = new ArrayList<>();
    if (!Files.isDirectory(directory)) {
      return files;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, prefix + "*.npz")) {
      for (Path entry : entries) {
        if (name.matcher(entry.getFileName().toString()).matches()) {
          files.add(entry);
        }
      }
    } catch (IOException e) {
      throw new dev.goldpan.worker.StorageException("cannot list " + directory + ": " + e, e);
    }
    files.sort(Comparator.comparingLong(this::iterationOf).reversed());
    return files;
  }

  private long iterationOf(Path file) {
    Matcher matcher = name.matcher(file.getFileName().toString());
    return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
  }

  private void prune() {
    List<Path> files = newestFirst();
    for (Path old : files.subList(Math.min(KEEP, files.size()), files.size())) {
      try {
        Files.deleteIfExists(old);
      } catch (IOException e) {
        System.err.println("distill: cannot delete old checkpoint " + old + ": " + e.getMessage());
      }
    }
  }

  private static byte[] digest(Map<String, NpyArray> arrays) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, NpyArray> entry : arrays.entrySet()) {
        sha.update(entry.getKey().getBytes(StandardCharsets.UTF_8));
        sha.update(entry.getValue().dtype().getBytes(StandardCharsets.UTF_8));
        for (int dimension : entry.getValue().shape()) {
          sha.update((byte) dimension);
          sha.update((byte) (dimension >>> 8));
          sha.update((byte) (dimension >>> 16));
          sha.update((byte) (dimension >>> 24));
        }
        sha.update(entry.getValue().data());
      }
      return sha.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
