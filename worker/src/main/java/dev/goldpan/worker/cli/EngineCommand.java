package dev.goldpan.worker.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.goldpan.worker.engine.NativeAllocator;
import dev.goldpan.worker.stage.StageContext;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code goldpan-worker engine}: loads the native engine, runs one operation on the device the
 * stages would use and prints what was loaded. Image builds run it so that a libtorch that cannot
 * be loaded fails the build, not the first pod.
 */
@Command(
    name = "engine",
    mixinStandardHelpOptions = true,
    description = "Load PyTorch, run one operation and print the engine, its version and device.")
final class EngineCommand implements Callable<Integer> {

  @Override
  public Integer call() {
    Engine engine = Engine.getInstance();
    var device = StageContext.device();
    float sum;
    try (NDManager manager = NDManager.newBaseManager(device);
        NDArray ones = manager.ones(new Shape(2, 3))) {
      sum = ones.sum().getFloat();
    }
    if (sum != 6f) {
      throw new IllegalStateException("the engine computed 1*6 = " + sum);
    }
    System.out.printf(
        "engine: %s %s, gpus: %d, device: %s, library: %s, allocator: %s%n",
        engine.getEngineName(),
        engine.getVersion(),
        engine.getGpuCount(),
        StageContext.deviceName(),
        System.getProperty("ai.djl.pytorch.library_path", nativeLibraryDirectory()),
        NativeAllocator.tune());
    return 0;
  }

  /** Where DJL found or unpacked libtorch: PYTORCH_LIBRARY_PATH, else its cache directory. */
  private static String nativeLibraryDirectory() {
    String explicit = System.getenv("PYTORCH_LIBRARY_PATH");
    if (explicit != null) {
      return explicit;
    }
    String cache = System.getenv("ENGINE_CACHE_DIR");
    return cache != null ? cache : "the DJL cache (~/.djl.ai)";
  }
}
