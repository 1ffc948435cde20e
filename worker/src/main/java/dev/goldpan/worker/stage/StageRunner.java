package dev.goldpan.worker.stage;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.api.v1alpha1.EmbeddingPrecision;
import dev.goldpan.worker.data.Split;
import dev.goldpan.worker.report.ReportWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs stages with their bookkeeping: times each one, records it in {@code manifest.json} (spec,
 * versions, seed, device, data set digest and per-stage timings), and ends with a one-line JSON
 * summary in the termination-message file that Kubernetes reports in the pod's status.
 */
public final class StageRunner {

  private final StageContext context;
  private final Path terminationLog;

  /**
   * @param terminationLog where the summary goes ({@code /dev/termination-log} in pods), or null
   */
  public StageRunner(StageContext context, Path terminationLog) {
    this.context = context;
    this.terminationLog = terminationLog;
  }

  public ObjectNode score(int index) {
    return run(
        "score",
        index,
        () -> new ScoreStage(context).run(index),
        result -> {
          ObjectNode summary = summary("score", index);
          summary.put("criterion", result.criterion().value());
          summary.put("samples", result.samples());
          summary.put(
              "message", "scored " + result.samples() + " samples (" + result.criterion() + ")");
          return summary;
        });
  }

  public ObjectNode select() {
    return run(
        "select",
        0,
        () -> new SelectStage(context).run(),
        result -> {
          ObjectNode summary = summary("select", 0);
          summary.put("realSamplesKept", result.kept());
          summary.put("message", result.message());
          return summary;
        });
  }

  public ObjectNode distill(int shard) {
    return run(
        "distill",
        shard,
        () -> new DistillStage(context).run(shard),
        result -> {
          ObjectNode summary = summary("distill", shard);
          JsonNode selection = context.workspace().readJson(SelectStage.SELECTION);
          summary.put("syntheticImages", result.syntheticImages());
          summary.put("iterations", result.iterations());
          summary.put("realSamplesKept", selection.path("kept").asInt());
          if (result.skipped()) {
            summary.put("message", "synthetic images already complete; nothing to do");
            return summary;
          }
          summary.put("loss", result.finalLoss());
          summary.put("iterationsPerSecond", result.iterationsPerSecond());
          if (result.resumedFrom() >= 0) {
            summary.put("resumedFrom", result.resumedFrom());
          }
          summary.put(
              "message",
              "distilled "
                  + result.syntheticImages()
                  + " images in "
                  + result.iterations()
                  + " iterations"
                  + (result.resumedFrom() >= 0 ? " (resumed at " + result.resumedFrom() + ")" : "")
                  + "; "
                  + SelectStage.describe(selection));
          context
              .workspace()
              .updateManifest(
                  manifest -> {
                    ObjectNode distillation = manifest.with("distillation");
                    String suffix =
                        context.spec().getDistillation().getParallelism() == 1
                            ? ""
                            : "-shard" + shard;
                    HistoryJson.writeLossCurve(
                        distillation.putArray("lossCurve" + suffix), result.lossCurve());
                    if (result.resumedFrom() >= 0) {
                      distillation.withArray("resumedFrom").add(result.resumedFrom());
                    }
                    if (result.realEmbeddingPrecision() != EmbeddingPrecision.AUTO) {
                      distillation.put(
                          "realEmbeddingPrecision" + suffix,
                          result.realEmbeddingPrecision().value());
                    }
                    JsonNode auto = selection.path("auto");
                    if (auto.isObject()) {
                      manifest.with("selection").set("auto", auto.deepCopy());
                    }
                    if (SelectStage.causalOf(selection, context.spec().getSelection().getCausal())
                        .getEnabled()) {
                      HistoryJson.writeRefreshes(
                          manifest.with("causal").putArray("refreshes" + suffix),
                          result.refreshes());
                    }
                  });
          return summary;
        });
  }

  /**
   * Evaluates shard {@code shard}'s networks; the summary carries the accuracy over all networks,
   * and the report is written, once this shard finds every part there (see {@link EvaluateStage}).
   */
  public ObjectNode evaluate(int shard) {
    return run(
        "evaluate",
        shard,
        () -> new EvaluateStage(context).run(shard),
        result -> {
          ObjectNode summary = summary("evaluate", shard);
          if (!result.complete()) {
            ArrayNode accuracies = summary.putArray("shardAccuracies");
            for (double accuracy : result.synthetic().accuracies()) {
              accuracies.add(accuracy);
            }
            summary.put(
                "message",
                String.format(
                    "test accuracy %.4f over this shard's %d models; evaluation.json waits for %d"
                        + " more shard(s)",
                    result.synthetic().mean(),
                    result.synthetic().accuracies().length,
                    result.pendingShards()));
            return summary;
          }
          summary.put("accuracyMean", result.synthetic().mean());
          summary.put("accuracyStd", result.synthetic().std());
          summary.put("models", result.synthetic().accuracies().length);
          ObjectNode baselines = summary.putObject("baselines");
          result
              .baselines()
              .forEach(
                  (name, accuracy) ->
                      baselines
                          .putObject(name)
                          .put("mean", accuracy.mean())
                          .put("std", accuracy.std()));
          summary.put(
              "message",
              String.format(
                  "test accuracy %.4f +- %.4f over %d models",
                  result.synthetic().mean(),
                  result.synthetic().std(),
                  result.synthetic().accuracies().length));
          summary.put("report", ReportWriter.REPORT);
          return summary;
        },
        result -> {
          if (result.complete()) {
            ReportWriter.write(context.workspace());
          }
        });
  }

  private ObjectNode summary(String stage, int index) {
    ObjectNode summary = Workspace.JSON.createObjectNode();
    summary.put("stage", stage);
    summary.put("index", index);
    summary.put("status", "Succeeded");
    return summary;
  }

  private <R> ObjectNode run(
      String stage, int index, Supplier<R> work, Function<R, ObjectNode> summarise) {
    return run(stage, index, work, summarise, result -> {});
  }

  /** Runs a stage; {@code finish} runs after the manifest is updated, before the summary. */
  private <R> ObjectNode run(
      String stage,
      int index,
      Supplier<R> work,
      Function<R, ObjectNode> summarise,
      Consumer<R> finish) {
    Instant started = Instant.now();
    R result = work.get();
    Instant finished = Instant.now();
    ObjectNode summary = summarise.apply(result);
    double seconds = (finished.toEpochMilli() - started.toEpochMilli()) / 1000.0;
    summary.put("seconds", seconds);
    String key = sharded(stage) ? stage + "-" + index : stage;
    context
        .workspace()
        .updateManifest(
            manifest -> {
              describeJob(manifest);
              ObjectNode entry = manifest.with("stages").putObject(key);
              entry.put("startedAt", started.toString());
              entry.put("finishedAt", finished.toString());
              entry.put("seconds", seconds);
              entry.put("device", StageContext.deviceName());
              entry.set("summary", summary.deepCopy());
            });
    finish.accept(result);
    TerminationMessage.write(terminationLog, summary);
    return summary;
  }

  /** Whether the stage runs as several pods, each with its own entry in the manifest. */
  private boolean sharded(String stage) {
    return switch (stage) {
      case "score" -> true;
      case "distill" -> context.spec().getDistillation().getParallelism() > 1;
      case "evaluate" -> context.spec().getEvaluation().getParallelism() > 1;
      default -> false;
    };
  }

  private void describeJob(ObjectNode manifest) {
    manifest.put("name", context.task().name());
    manifest.set("spec", Workspace.JSON.valueToTree(context.spec()));
    manifest.set("resolvedDefaults", Workspace.JSON.valueToTree(context.task().defaults()));
    ObjectNode versions = manifest.putObject("versions");
    String goldpan = StageRunner.class.getPackage().getImplementationVersion();
    versions.put("goldpan", goldpan == null ? "development" : goldpan);
    versions.put("djl", Engine.getDjlVersion());
    versions.put(
        "engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    versions.put("java", Runtime.version().toString());
    manifest.put("seed", context.spec().getSeed());
    PreparedData data = context.data();
    ObjectNode dataset = manifest.putObject("dataset");
    dataset.put("format", context.spec().getDataset().getFormat().value());
    dataset.put("source", context.spec().getDataset().getSource());
    dataset.put("sha256", data.digest());
    dataset.put("train", data.size(Split.TRAIN));
    dataset.put("test", data.size(Split.TEST));
    dataset.put("classes", data.classes());
    ArrayNode mean = dataset.putArray("mean");
    ArrayNode std = dataset.putArray("std");
    for (int c = 0; c < data.normalization().mean().length; c++) {
      mean.add(data.normalization().mean()[c]);
      std.add(data.normalization().std()[c]);
    }
  }
}
