package dev.goldpan.worker.task;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobSpec;
import dev.goldpan.worker.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * What a worker is asked to do: a DistillationJob manifest (the operator mounts the resolved one
 * from the job's task ConfigMap; a local run reads the user's file), with the algorithm-dependent
 * defaults resolved ({@link SpecDefaults}); {@code defaults} lists the fields that were filled in.
 */
public record WorkerTask(String name, DistillationJobSpec spec, Map<String, Object> defaults) {

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .disable(DeserializationFeature.FAIL_ON_IGNORED_PROPERTIES);

  /** Reads a DistillationJob manifest; a missing or malformed file is invalid input. */
  public static WorkerTask read(Path file) {
    DistillationJob job;
    try {
      job = YAML.readValue(Files.readString(file), DistillationJob.class);
    } catch (NoSuchFileException e) {
      throw new InvalidInputException("task file " + file + " does not exist");
    } catch (UnrecognizedPropertyException e) {
      throw new InvalidInputException(
          "task file " + file + ": unknown field " + fieldPath(e) + " (line " + line(e) + ")");
    } catch (InvalidFormatException e) {
      throw new InvalidInputException(
          "task file "
              + file
              + ": bad value '"
              + e.getValue()
              + "' for "
              + fieldPath(e)
              + " (line "
              + line(e)
              + ")");
    } catch (IOException e) {
      throw new InvalidInputException(
          "task file " + file + " is not a valid manifest: " + e.getMessage(), e);
    }
    if (job == null || job.getSpec() == null) {
      throw new InvalidInputException("task file " + file + " has no spec");
    }
    String name = job.getMetadata() == null ? null : job.getMetadata().getName();
    Map<String, Object> defaults = SpecDefaults.resolve(job.getSpec());
    SpecChecks.check(job.getSpec(), file);
    return new WorkerTask(name == null ? "distillationjob" : name, job.getSpec(), defaults);
  }

  private static String fieldPath(com.fasterxml.jackson.databind.JsonMappingException e) {
    StringBuilder path = new StringBuilder();
    for (var reference : e.getPath()) {
      if (reference.getFieldName() != null) {
        path.append(path.length() == 0 ? "" : ".").append(reference.getFieldName());
      } else {
        path.append('[').append(reference.getIndex()).append(']');
      }
    }
    return path.toString();
  }

  private static int line(com.fasterxml.jackson.core.JsonProcessingException e) {
    return e.getLocation() == null ? 0 : e.getLocation().getLineNr();
  }
}
