package dev.goldpan.worker.storage;

import dev.goldpan.worker.InvalidInputException;

/**
 * An {@code s3://bucket/prefix} location: a bucket and a key prefix without leading or trailing
 * slashes (empty for the whole bucket). Artifact {@code name} lives at key {@code prefix/name}.
 */
public record S3Location(String bucket, String prefix) {

  public static final String SCHEME = "s3://";

  /** Whether {@code uri} is an s3:// location. */
  public static boolean isS3(String uri) {
    return uri != null && uri.startsWith(SCHEME);
  }

  /**
   * Parses {@code s3://bucket[/prefix]}.
   *
   * @param field the spec field the URI came from, named in errors
   */
  public static S3Location parse(String uri, String field) {
    if (!isS3(uri)) {
      throw new InvalidInputException(field + ": " + uri + " is not an s3:// location");
    }
    String rest = uri.substring(SCHEME.length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : trimSlashes(rest.substring(slash + 1));
    if (bucket.isEmpty()) {
      throw new InvalidInputException(field + ": " + uri + " names no bucket");
    }
    for (String segment : prefix.split("/")) {
      if (segment.equals("..") || segment.equals(".")) {
        throw new InvalidInputException(field + ": " + uri + " has a '" + segment + "' segment");
      }
    }
    return new S3Location(bucket, prefix);
  }

  /** The key of {@code name} (a relative path with '/' separators) under this prefix. */
  public String key(String name) {
    return prefix.isEmpty() ? name : prefix + "/" + name;
  }

  /** What a listing of this location asks for: every key under {@code prefix/}. */
  String listPrefix() {
    return prefix.isEmpty() ? "" : prefix + "/";
  }

  /** {@code s3://bucket/key} of {@code name}, for messages. */
  public String uri(String name) {
    return SCHEME + bucket + "/" + key(name);
  }

  @Override
  public String toString() {
    return SCHEME + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
  }

  private static String trimSlashes(String path) {
    int start = 0;
    int end = path.length();
    while (start < end && path.charAt(start) == '/') {
      start++;
    }
    while (end > start && path.charAt(end - 1) == '/') {
      end--;
    }
    return path.substring(start, end);
  }
}
