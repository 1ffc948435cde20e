package dev.goldpan.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the artifacts go. */
@ValidationRule(
    value = "!self.location.startsWith('s3://') || has(self.credentialsSecret)",
    message = "an s3:// location requires credentialsSecret",
    fieldPath = ".credentialsSecret")
public class OutputSpec {

  @Required
  @Pattern(
      "^(pvc://[a-z0-9]([-a-z0-9]*[a-z0-9])?(/.*)?|s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?|file:///.*)$")
  @JsonPropertyDescription(
      "Artifact location: pvc://<claim>/<path>, s3://<bucket>/<prefix> or file:///<path>.")
  private String location;

  @Size(min = 1, max = 253)
  @JsonPropertyDescription(
      "Secret with accessKey, secretKey and endpoint; required for s3:// locations.")
  private String credentialsSecret;

  public String getLocation() {
    return location;
  }

  public void setLocation(String location) {
    this.location = location;
  }

  public String getCredentialsSecret() {
    return credentialsSecret;
  }

  public void setCredentialsSecret(String credentialsSecret) {
    this.credentialsSecret = credentialsSecret;
  }
}
