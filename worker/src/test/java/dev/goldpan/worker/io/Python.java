package dev.goldpan.worker.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short scripts with the system's Python and numpy, to check files against numpy itself. */
final class Python {

  private static final Path EXECUTABLE = Path.of("/usr/bin/python3");

  private Python() {}

  /** Whether {@code /usr/bin/python3} exists and can import numpy. */
  static boolean hasNumpy() {
    if (!Files.isExecutable(EXECUTABLE)) {
      return false;
    }
    try {
      Process process =
          new ProcessBuilder(EXECUTABLE.toString(), "-c", "import numpy")
              .redirectErrorStream(true)
              .start();
      process.getInputStream().readAllBytes();
      return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs {@code script} with {@code arguments} as {@code sys.argv[1:]}; returns its output. */
  static String run(String script, Object... arguments) throws Exception {
    List<String> command = new ArrayList<>(List.of(EXECUTABLE.toString(), "-c", script));
    for (Object argument : arguments) {
      command.add(argument.toString());
    }
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    return output.strip();
  }
}
