package dev.goldpan.worker.stage;

import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.goldpan.worker.StorageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The one-line JSON summary a stage leaves where Kubernetes reads a container's termination message
 * ({@code /dev/termination-log}); the operator builds the job's status from it.
 */
public final class TerminationMessage {

  /** Kubernetes keeps at most this many bytes of a termination message. */
  static final int LIMIT = 4096;

  private TerminationMessage() {}

  /** Writes {@code summary} as one line to {@code file}; does nothing when {@code file} is null. */
  public static void write(Path file, ObjectNode summary) {
    if (file == null) {
      return;
    }
    String line;
    try {
      line =
          Workspace.JSON
              .writer()
              .without(SerializationFeature.INDENT_OUTPUT)
              .writeValueAsString(summary);
    } catch (IOException e) {
      throw new IllegalStateException("cannot serialise " + summary, e);
    }
    if (line.getBytes(StandardCharsets.UTF_8).length > LIMIT) {
      ObjectNode shortened = summary.deepCopy();
      String message = shortened.path("message").asText();
      shortened.put("message", message.substring(0, Math.min(message.length(), LIMIT / 2)) + "...");
      shortened.remove("baselines");
      write(file, shortened);
      return;
    }
    try {
      Files.writeString(file, line + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new StorageException("cannot write the termination message to " + file + ": " + e, e);
    }
  }
}
