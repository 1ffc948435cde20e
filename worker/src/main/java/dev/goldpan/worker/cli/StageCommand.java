package dev.goldpan.worker.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.progress.ConsoleProgress;
import dev.goldpan.worker.progress.HttpProgress;
import dev.goldpan.worker.stage.StageContext;
import dev.goldpan.worker.stage.StageRunner;
import dev.goldpan.worker.stage.TerminationMessage;
import dev.goldpan.worker.stage.Workspace;
import dev.goldpan.worker.storage.S3Location;
import dev.goldpan.worker.storage.S3Output;
import dev.goldpan.worker.task.Locations;
import dev.goldpan.worker.task.WorkerTask;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code goldpan-worker stage <score|select|distill|evaluate> --task FILE [--index I]}. */
@Command(
    name = "stage",
    mixinStandardHelpOptions = true,
    description = "Run one stage of the pipeline, as a worker pod does.")
final class StageCommand implements Callable<Integer> {

  /** The pipeline stages. */
  enum Stage {
    score,
    select,
    distill,
    evaluate
  }

  @Parameters(index = "0", description = "score, select, distill or evaluate")
  Stage stage;

  @Option(names = "--task", required = true, description = "The DistillationJob manifest to run.")
  Path task;

  @Option(
      names = "--index",
      description = "Ensemble member or shard (default: $JOB_COMPLETION_INDEX, else 0).")
  Integer index;

  @Option(names = "--output", description = "Output directory, instead of spec.output.location.")
  Path output;

  @Option(
      names = "--work-dir",
      paramLabel = "DIR",
      description =
          "Local staging directory for an s3:// output location (default: goldpan-<job> under"
              + " java.io.tmpdir).")
  Path workDir;

  @Option(
      names = "--termination-log",
      description = "Where the one-line JSON summary goes (default: ${DEFAULT-VALUE}).")
  Path terminationLog = Path.of("/dev/termination-log");

  @Mixin LocationOptions locationOptions;

  @Override
  public Integer call() {
    int memberIndex = 0;
    S3Output s3Output = null;
    try {
      memberIndex = index != null ? index : completionIndex();
      WorkerTask workerTask = WorkerTask.read(task);
      Locations locations = locationOptions.locations();
      String location = workerTask.spec().getOutput().getLocation();
      if (output == null && S3Location.isS3(location)) {
        s3Output =
            locationOptions.s3Output(
                location, workDir != null ? workDir : S3Output.defaultDirectory(workerTask.name()));
      }
      Path directory =
          output != null
              ? output
              : s3Output != null
                  ? s3Output.directory()
                  : locations.resolve(location, "spec.output.location");
      Workspace workspace = new Workspace(directory);
      if (s3Output != null) {
        workspace.setPublisher(s3Output);
      }
      StageContext context =
          new StageContext(
              workerTask,
              workspace,
              locations,
              stageName ->
                  HttpProgress.forStage(
                      stageName, System.getenv(), ConsoleProgress.forStage(stageName)));
      StageRunner runner = new StageRunner(context, terminationLog);
      ObjectNode summary =
          switch (stage) {
            case score -> runner.score(memberIndex);
            case select -> runner.select();
            case distill -> runner.distill(memberIndex);
            case evaluate -> runner.evaluate(memberIndex);
          };
      if (s3Output != null) {
        s3Output.finish();
      }
      System.out.println(summary.path("message").asText());
      return 0;
    } catch (RuntimeException e) {
      ObjectNode failure = new ObjectMapper().createObjectNode();
      failure.put("stage", stage.name());
      failure.put("index", memberIndex);
      failure.put("status", "Failed");
      failure.put("exitCode", GoldpanWorker.exitCode(e));
      failure.put("message", GoldpanWorker.describe(e));
      try {
        TerminationMessage.write(terminationLog, failure);
      } catch (RuntimeException unwritable) {
        e.addSuppressed(unwritable);
      }
      throw e;
    } finally {
      if (s3Output != null) {
        s3Output.close();
      }
    }
  }

  private static int completionIndex() {
    String value = System.getenv("JOB_COMPLETION_INDEX");
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new InvalidInputException("JOB_COMPLETION_INDEX '" + value + "' is not an integer");
    }
  }
}
