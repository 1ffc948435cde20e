package dev.goldpan.worker;

/**
 * Reading or writing artifacts failed (permissions, a full disk, an unreachable or refusing object
 * store). The message names the location, never a credential. Exit code {@value #EXIT_CODE}.
 */
public class StorageException extends RuntimeException {

  public static final int EXIT_CODE = 3;

  public StorageException(String message) {
    super(message);
  }

  public StorageException(String message, Throwable cause) {
    super(message, cause);
  }
}
