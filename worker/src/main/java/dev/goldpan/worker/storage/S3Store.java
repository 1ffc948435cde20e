package dev.goldpan.worker.storage;

import dev.goldpan.worker.StorageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Artifacts in an S3-compatible store: list a prefix, download a prefix into a local directory, and
 * upload a file to {@code prefix/name}.
 *
 * <p>Every object is written by one PutObject, which S3 makes visible only once it is complete, so
 * a reader never sees a partial artifact; callers upload {@code manifest.json} last. Every failure
 * is a {@link StorageException} naming the bucket and key or prefix and the store's error code
 * (NoSuchBucket, InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied...), never a key.
 */
public final class S3Store implements AutoCloseable {

  /** An object under a location: its name relative to the prefix, and its size in bytes. */
  public record StoredObject(String name, long size) {}

  /** The content of an object and the ETag of that version of it. */
  public record Versioned(byte[] content, String etag) {}

  /** S3's answer when a conditional write finds another version than the one it was made for. */
  private static final int PRECONDITION_FAILED = 412;

  /** S3's answer when another conditional write to the same key is under way. */
  private static final int CONDITIONAL_REQUEST_CONFLICT = 409;

  private final S3Settings settings;
  private final S3Client client;

  public S3Store(S3Settings settings) {
    this.settings = settings;
    S3ClientBuilder builder =
        S3Client.builder()
            .httpClientBuilder(Apache5HttpClient.builder())
            .region(Region.of(settings.region()))
            .credentialsProvider(settings.credentialsProvider())
            .forcePathStyle(settings.pathStyle());
    if (settings.endpoint() != null) {
      // S3-compatible stores do not all accept the flexible checksums (aws-chunked trailers) that
      // the SDK sends to AWS by default; send and check them only where an operation needs them.
      builder
          .endpointOverride(settings.endpoint())
          .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
          .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    }
    try {
      this.client = builder.build();
    } catch (SdkException e) {
      throw new StorageException(
          "cannot set up an S3 client for " + settings + ": " + settings.redact(e.getMessage()), e);
    }
  }

  public S3Settings settings() {
    return settings;
  }

  /** The objects under {@code location}, names relative to its prefix, in key order. */
  public List<StoredObject> list(S3Location location) {
    List<StoredObject> objects = new ArrayList<>();
    for (S3Object object : listKeys(location, location.listPrefix())) {
      String name = object.key().substring(location.listPrefix().length());
      if (!name.isEmpty() && !name.endsWith("/")) {
        objects.add(new StoredObject(name, object.size()));
      }
    }
    return objects;
  }

  /**
   * The object whose key is {@code location}'s prefix itself (a location that names one file, such
   * as {@code s3://bucket/sets/train.npz}), if there is one.
   */
  public Optional<StoredObject> find(S3Location location) {
    String key = location.prefix();
    if (key.isEmpty()) {
      return Optional.empty();
    }
    return listKeys(location, key).stream()
        .filter(object -> object.key().equals(key))
        .findFirst()
        .map(object -> new StoredObject(key.substring(key.lastIndexOf('/') + 1), object.size()));
  }

  /**
   * Downloads every object under {@code location} into {@code directory} (same relative names),
   * skipping those already there with the same size. Each file appears complete or not at all.
   *
   * @return how many objects were downloaded
   */
  public int download(S3Location location, Path directory) {
    return download(location, list(location), directory);
  }

  /** {@link #download(S3Location, Path)} of {@code objects}, a listing of {@code location}. */
  public int download(S3Location location, List<StoredObject> objects, Path directory) {
    int downloaded = 0;
    Path root = directory.toAbsolutePath().normalize();
    for (StoredObject object : objects) {
      Path target = root.resolve(object.name()).normalize();
      if (!target.startsWith(root) || target.equals(root)) {
        throw new StorageException(
            "object " + location.uri(object.name()) + " would land outside " + root);
      }
      if (fetch(location.bucket(), location.key(object.name()), object.size(), target)) {
        downloaded++;
      }
    }
    return downloaded;
  }

  /**
   * Downloads the object at key {@code location.prefix()} to {@code target} unless a file of the
   * same size is there.
   *
   * @return whether it was downloaded
   */
  public boolean downloadObject(S3Location location, StoredObject object, Path target) {
    return fetch(location.bucket(), location.prefix(), object.size(), target);
  }

  /** The bytes of {@code prefix/name}, or empty when there is no such object. */
  public Optional<byte[]> read(S3Location location, String name) {
    return readVersioned(location, name).map(Versioned::content);
  }

  /** The bytes of {@code prefix/name} with their ETag, or empty when there is no such object. */
  public Optional<Versioned> readVersioned(S3Location location, String name) {
    GetObjectRequest request =
        GetObjectRequest.builder().bucket(location.bucket()).key(location.key(name)).build();
    try (ResponseInputStream<GetObjectResponse> in = client.getObject(request)) {
      return Optional.of(new Versioned(in.readAllBytes(), in.response().eTag()));
    } catch (NoSuchKeyException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw failure("read", location.uri(name), e);
    } catch (IOException e) {
      throw new StorageException(
          "cannot read " + location.uri(name) + ": " + settings.redact(e.toString()), e);
    }
  }

  /** Uploads {@code file} to {@code prefix/name} with one PutObject. */
  public void upload(Path file, S3Location location, String name) {
    PutObjectRequest request =
        PutObjectRequest.builder()
            .bucket(location.bucket())
            .key(location.key(name))
            .contentType(contentType(name))
            .build();
    try {
      client.putObject(request, RequestBody.fromFile(file));
    } catch (SdkException e) {
      throw failure("upload " + file + " to", location.uri(name), e);
    } catch (UncheckedIOException e) {
      throw new StorageException("cannot read " + file + " to upload it: " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code content} to {@code prefix/name} only if the stored object is still the version
   * that was read: the one with ETag {@code etag} (PutObject with If-Match), or none at all when
   * {@code etag} is null (If-None-Match: *). The store checks and writes under one lock.
   *
   * @return false when another writer got there first (HTTP 412 PreconditionFailed, or 409
   *     ConditionalRequestConflict while its write is under way): read again, merge, and retry
   */
  public boolean replace(S3Location location, String name, byte[] content, String etag) {
    PutObjectRequest.Builder request =
        PutObjectRequest.builder()
            .bucket(location.bucket())
            .key(location.key(name))
            .contentType(contentType(name));
    if (etag == null) {
      request.ifNoneMatch("*");
    } else {
      request.ifMatch(etag);
    }
    try {
      client.putObject(request.build(), RequestBody.fromBytes(content));
      return true;
    } catch (AwsServiceException e) {
      if (e.statusCode() == PRECONDITION_FAILED || e.statusCode() == CONDITIONAL_REQUEST_CONFLICT) {
        return false;
      }
      throw failure("write", location.uri(name), e);
    } catch (SdkException e) {
      throw failure("write", location.uri(name), e);
    }
  }

  /** Deletes {@code prefix/name} (nothing happens when it is absent). */
  public void delete(S3Location location, String name) {
    try {
      client.deleteObject(request -> request.bucket(location.bucket()).key(location.key(name)));
    } catch (SdkException e) {
      throw failure("delete", location.uri(name), e);
    }
  }

  @Override
  public void close() {
    client.close();
  }

  private List<S3Object> listKeys(S3Location location, String prefix) {
    ListObjectsV2Request request =
        ListObjectsV2Request.builder().bucket(location.bucket()).prefix(prefix).build();
    List<S3Object> objects = new ArrayList<>();
    try {
      client.listObjectsV2Paginator(request).contents().forEach(objects::add);
    } catch (SdkException e) {
      throw failure("list", S3Location.SCHEME + location.bucket() + "/" + prefix, e);
    }
    return objects;
  }

  private boolean fetch(String bucket, String key, long size, Path target) {
    String uri = S3Location.SCHEME + bucket + "/" + key;
    try {
      if (Files.isRegularFile(target) && Files.size(target) == size) {
        return false;
      }
      Files.createDirectories(target.getParent());
    } catch (IOException e) {
      throw new StorageException("cannot download " + uri + " to " + target + ": " + e, e);
    }
    Path temporary =
        target.resolveSibling(
            "."
                + target.getFileName()
                + "."
                + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36)
                + ".download");
    GetObjectRequest request = GetObjectRequest.builder().bucket(bucket).key(key).build();
    try (InputStream in = client.getObject(request)) {
      Files.copy(in, temporary);
      Files.move(
          temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return true;
    } catch (SdkException e) {
      throw failure("download", uri, e);
    } catch (IOException e) {
      throw new StorageException(
          "cannot download " + uri + " to " + target + ": " + settings.redact(e.toString()), e);
    } finally {
      try {
        Files.deleteIfExists(temporary);
      } catch (IOException e) {
        // The download itself succeeded or already failed; a stray temporary file is harmless.
      }
    }
  }

  /**
   * One message for any SDK failure: what was attempted on which object, the store's error code and
   * HTTP status (or the client-side reason), where the store and the keys came from. Keys are
   * masked in case the store or SDK echoed them.
   */
  private StorageException failure(String action, String uri, SdkException e) {
    StringBuilder message = new StringBuilder("cannot ").append(action).append(' ').append(uri);
    if (e instanceof AwsServiceException service) {
      String code =
          service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
      String detail =
          service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorMessage();
      message
          .append(": ")
          .append(code == null ? "HTTP " + service.statusCode() : code)
          .append(" (HTTP ")
          .append(service.statusCode())
          .append(detail == null ? "" : ": " + detail)
          .append(')');
    } else {
      message.append(": ").append(e.getMessage());
    }
    message
        .append(" [endpoint ")
        .append(settings.endpoint() == null ? "AWS " + settings.region() : settings.endpoint())
        .append(", credentials from ")
        .append(settings.credentialsSource())
        .append(']');
    return new StorageException(settings.redact(message.toString()), e);
  }

  private static String contentType(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    if (lower.endsWith(".json")) {
      return "application/json";
    }
    if (lower.endsWith(".html")) {
      return "text/html; charset=utf-8";
    }
    if (lower.endsWith(".png")) {
      return "image/png";
    }
    return "application/octet-stream";
  }
}
