package dev.goldpan.worker.stage;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.data.Dataset;
import dev.goldpan.worker.data.DatasetDigest;
import dev.goldpan.worker.data.DatasetReaders;
import dev.goldpan.worker.data.Normalization;
import dev.goldpan.worker.data.Split;
import dev.goldpan.worker.progress.Progress;
import dev.goldpan.worker.task.Locations;
import dev.goldpan.worker.task.WorkerTask;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Everything a stage needs: the task, where artifacts go, how locations resolve, the device, and
 * the data set (read and normalised once, on first use).
 */
public final class StageContext {

  private final WorkerTask task;
  private final Workspace workspace;
  private final Locations locations;
  private final Function<String, Progress> progress;
  private PreparedData data;

  public StageContext(
      WorkerTask task,
      Workspace workspace,
      Locations locations,
      Function<String, Progress> progress) {
    this.task = task;
    this.workspace = workspace;
    this.locations = locations;
    this.progress = progress;
  }

  public WorkerTask task() {
    return task;
  }

  public DistillationJobSpec spec() {
    return task.spec();
  }

  public Workspace workspace() {
    return workspace;
  }

  public Locations locations() {
    return locations;
  }

  public Progress progress(String stage) {
    return progress.apply(stage);
  }

  /** A GPU when the engine sees one, else the CPU. */
  public static Device device() {
    return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
  }

  /** The device as manifest.json records it: {@code cpu}, or {@code gpu:<id>}. */
  public static String deviceName() {
    Device device = device();
    return device.isGpu() ? "gpu:" + device.getDeviceId() : device.getDeviceType();
  }

  /**
   * A generator for one purpose of one stage, derived from the spec's seed, so that the same seed
   * reproduces a run and different purposes draw independent streams. Also seeds the engine, whose
   * generator initialises networks.
   */
  public Random random(String purpose, int index) {
    // SplittableRandom scrambles the combined seed: java.util.Random's first draws for
    // neighbouring seeds are nearly equal.
    long seed =
        new SplittableRandom(spec().getSeed() * 1_000_003L + purpose.hashCode() * 31L + index)
            .nextLong();
    Engine.getInstance().setRandomSeed((int) (seed ^ (seed >>> 32)) & Integer.MAX_VALUE);
    return new Random(seed);
  }

  /**
   * The data set of spec.dataset.source, opened once per process: its labels are read, its images
   * are read when a stage asks for them. The normalisation is the spec's, or the one manifest.json
   * records for the same files, or computed from the train split chunk by chunk.
   */
  public PreparedData data() {
    if (data == null) {
      String source = spec().getDataset().getSource();
      Path root = locations.resolve(source, "spec.dataset.source");
      if (!Files.exists(root)) {
        throw new InvalidInputException("spec.dataset.source: " + root + " does not exist");
      }
      Dataset dataset = DatasetReaders.forFormat(spec().getDataset().getFormat()).open(root);
      String digest = DatasetDigest.sha256(dataset.files());
      Normalization normalization =
          spec().getDataset().getNormalization() == null
              ? recordedNormalization(digest).orElseGet(() -> computedNormalization(dataset))
              : Normalization.of(spec().getDataset().getNormalization(), dataset.channels());
      data = new PreparedData(dataset, normalization, digest);
    }
    return data;
  }

  /** The mean and std an earlier stage recorded in manifest.json for the same files. */
  private Optional<Normalization> recordedNormalization(String digest) {
    if (!workspace.exists(Workspace.MANIFEST)) {
      return Optional.empty();
    }
    JsonNode dataset = workspace.readJson(Workspace.MANIFEST).path("dataset");
    JsonNode mean = dataset.path("mean");
    JsonNode std = dataset.path("std");
    if (!digest.equals(dataset.path("sha256").asText())
        || !mean.isArray()
        || mean.size() == 0
        || mean.size() != std.size()) {
      return Optional.empty();
    }
    float[] means = new float[mean.size()];
    float[] stds = new float[std.size()];
    for (int c = 0; c < means.length; c++) {
      means[c] = (float) mean.get(c).asDouble();
      stds[c] = (float) std.get(c).asDouble();
    }
    return Optional.of(new Normalization(means, stds));
  }

  private static Normalization computedNormalization(Dataset dataset) {
    PreparedData raw = new PreparedData(dataset, null, null);
    Normalization.Statistics statistics = new Normalization.Statistics(dataset.channels());
    raw.forEachChunk(Split.TRAIN, (from, chunk) -> statistics.add(chunk));
    return statistics.normalization();
  }
}
