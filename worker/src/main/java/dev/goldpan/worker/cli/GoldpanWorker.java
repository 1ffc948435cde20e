package dev.goldpan.worker.cli;

import dev.goldpan.worker.InvalidInputException;
import dev.goldpan.worker.StorageException;
import dev.goldpan.worker.engine.NativeAllocator;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The worker's command line: {@code stage} runs one pipeline stage as a pod does, {@code run} runs
 * the whole pipeline locally.
 *
 * <p>Exit codes: 0 done, 1 any other failure, 2 invalid input (a bad task or data file: not worth a
 * retry), 3 storage error.
 */
@Command(
    name = "goldpan-worker",
    mixinStandardHelpOptions = true,
    versionProvider = GoldpanWorker.Version.class,
    description = "Dataset distillation with bi-level data pruning.",
    subcommands = {
      StageCommand.class,
      RunCommand.class,
      BenchmarkCommand.class,
      EngineCommand.class
    })
public final class GoldpanWorker {

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the command line and returns its exit code. */
  public static int execute(String... args) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    NativeAllocator.tune();
    CommandLine commandLine = new CommandLine(new GoldpanWorker());
    commandLine.setExitCodeExceptionMapper(GoldpanWorker::exitCode);
    commandLine.setExecutionExceptionHandler(
        (exception, line, parseResult) -> {
          line.getErr().println("goldpan-worker: " + describe(exception));
          return exitCode(exception);
        });
    return commandLine.execute(args);
  }

  static int exitCode(Throwable exception) {
    if (exception instanceof InvalidInputException) {
      return InvalidInputException.EXIT_CODE;
    }
    if (exception instanceof StorageException) {
      return StorageException.EXIT_CODE;
    }
    return 1;
  }

  /** The message a user sees: the exception's own for expected failures, its class otherwise. */
  static String describe(Throwable exception) {
    if (exception instanceof InvalidInputException || exception instanceof StorageException) {
      return exception.getMessage();
    }
    return exception.getClass().getSimpleName()
        + (exception.getMessage() == null ? "" : ": " + exception.getMessage());
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = GoldpanWorker.class.getPackage().getImplementationVersion();
      return new String[] {"goldpan-worker " + (version == null ? "development" : version)};
    }
  }
}
