package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** The real data set: its on-disk format and where it lives. */
@ValidationRule(
    value = "!self.source.startsWith('s3://') || has(self.credentialsSecret)",
    message = "an s3:// source requires credentialsSecret",
    fieldPath = ".credentialsSecret")
public class DatasetSpec {

  @Required
  @JsonPropertyDescription(
      "On-disk format: idx (MNIST style, plain or gzip), cifar-binary, image-folder (class sub-folders of PNG/JPEG), npz, or tar-shards (WebDataset-style train/*.tar and test/*.tar, each sample a <key>.png or .jpg and a <key>.cls label; read in a streaming way).")
  private DatasetFormat format;

  @Required
  @Pattern(
      "^(pvc://[a-z0-9]([-a-z0-9]*[a-z0-9])?(/.*)?|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?|file:///.*)$")
  @JsonPropertyDescription(
      "Location: pvc://<claim>/<path>, s3://<bucket>/<prefix> or file:///<path>.")
  private String source;

  @Size(min = 1, max = 253)
  @JsonPropertyDescription(
      "Secret with accessKey, secretKey and endpoint; required for s3:// sources.")
  private String credentialsSecret;

  @JsonPropertyDescription(
      "Per-channel normalisation; computed from the training split when absent.")
  private NormalizationSpec normalization;

  public DatasetFormat getFormat() {
    return format;
  }

  public void setFormat(DatasetFormat format) {
    this.format = format;
  }

  public String getSource() {
    return source;
  }

  public void setSource(String source) {
    this.source = source;
  }

  public String getCredentialsSecret() {
    return credentialsSecret;
  }

  public void setCredentialsSecret(String credentialsSecret) {
    this.credentialsSecret = credentialsSecret;
  }

  public NormalizationSpec getNormalization() {
    return normalization;
  }

  public void setNormalization(NormalizationSpec normalization) {
    this.normalization = normalization;
  }
}
