package dev.goldpan.worker.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.api.v1alpha1.SelectionMode;
import dev.goldpan.api.v1alpha1.StaticCriterion;
import dev.goldpan.worker.progress.ConsoleProgress;
import dev.goldpan.worker.progress.HttpProgress;
import dev.goldpan.worker.stage.StageContext;
import dev.goldpan.worker.stage.StageRunner;
import dev.goldpan.worker.stage.Workspace;
import dev.goldpan.worker.task.WorkerTask;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code goldpan-worker run MANIFEST --output DIR}: the whole pipeline on this machine. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = "Run a DistillationJob manifest end to end on this machine, without Kubernetes.")
final class RunCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "MANIFEST", description = "A DistillationJob manifest.")
  Path manifest;

  @Option(names = "--output", required = true, description = "Directory for the artifacts.")
  Path output;

  @Mixin LocationOptions locationOptions;

  @Override
  public Integer call() {
    WorkerTask task = WorkerTask.read(manifest);
    Workspace workspace = new Workspace(output);
    StageContext context =
        new StageContext(
            task,
            workspace,
            locationOptions.locations(),
            stageName ->
                HttpProgress.forStage(
                    stageName, System.getenv(), ConsoleProgress.forStage(stageName)));
    StageRunner runner = new StageRunner(context, null);
    var selection = task.spec().getSelection().getStaticSelection();
    if (task.spec().getSelection().getMode() != SelectionMode.NONE
        && selection.getCriterion() != StaticCriterion.PRECOMPUTED) {
      for (int index = 0; index < selection.getScoring().getEnsemble(); index++) {
        runner.score(index);
      }
    }
    ObjectNode selected = runner.select();
    System.err.println("select   " + selected.path("message").asText());
    for (int shard = 0; shard < task.spec().getDistillation().getParallelism(); shard++) {
      runner.distill(shard);
    }
    ObjectNode evaluated = null;
    for (int shard = 0; shard < task.spec().getEvaluation().getParallelism(); shard++) {
      evaluated = runner.evaluate(shard);
    }
    System.out.println(task.name() + ": " + evaluated.path("message").asText());
    evaluated
        .path("baselines")
        .fields()
        .forEachRemaining(
            baseline ->
                System.out.printf(
                    "  baseline %s: %.4f +- %.4f%n",
                    baseline.getKey(),
                    baseline.getValue().path("mean").asDouble(),
                    baseline.getValue().path("std").asDouble()));
    System.out.println("artifacts: " + workspace.directory());
    return 0;
  }
}
