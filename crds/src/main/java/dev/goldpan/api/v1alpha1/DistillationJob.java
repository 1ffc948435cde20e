package dev.goldpan.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A request to prune a real data set and distill it into a small synthetic one. */
@Group(DistillationJob.GROUP)
@Version(DistillationJob.VERSION)
@Singular("distillationjob")
@Plural("distillationjobs")
@ShortNames("dj")
@ValidationRule(
    value = "self.metadata.name.size() <= " + DistillationJob.MAX_NAME_LENGTH,
    message =
        "metadata.name may have at most "
            + DistillationJob.MAX_NAME_LENGTH
            + " characters: the stage Jobs' pods are named <name>-<stage>-<index>, up to"
            + " <name>-distill-999, which must fit a DNS label (63 characters)",
    reason = "FieldValueInvalid")
@AdditionalPrinterColumn(
    name = "Phase",
    jsonPath = ".status.phase",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Stage",
    jsonPath = ".status.stage",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "The stage the job is in or ended in")
@AdditionalPrinterColumn(
    name = "Reason",
    jsonPath = ".status.reason",
    type = AdditionalPrinterColumn.Type.STRING,
    getDescription = "Why the job waits or failed")
@AdditionalPrinterColumn(
    name = "Progress",
    jsonPath = ".status.progress.percent",
    type = AdditionalPrinterColumn.Type.INTEGER,
    getDescription = "Percent of the running stage done")
@AdditionalPrinterColumn(
    name = "Accuracy",
    jsonPath = ".status.result.accuracy.mean",
    type = AdditionalPrinterColumn.Type.NUMBER,
    getDescription = "Mean test accuracy of networks trained on the synthetic set")
@AdditionalPrinterColumn(
    name = "Output",
    jsonPath = ".status.result.outputLocation",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
public class DistillationJob extends CustomResource<DistillationJobSpec, DistillationJobStatus>
    implements Namespaced {

  public static final String GROUP = "goldpan.dev";
  public static final String VERSION = "v1alpha1";
  public static final String CRD_NAME = "distillationjobs." + GROUP;

  /**
   * The longest name a DistillationJob may have. Each stage runs as an Indexed Job {@code
   * <name>-<stage>}, whose pods' hostnames are {@code <name>-<stage>-<index>}; the API server
   * refuses a Job whose last index would not make a DNS label (63 characters). The longest is the
   * distill stage with its most shards, {@code <name>-distill-999}: 63 - 12 = 51.
   */
  public static final int MAX_NAME_LENGTH = 51;
}
