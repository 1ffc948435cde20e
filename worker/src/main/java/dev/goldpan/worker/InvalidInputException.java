package dev.goldpan.worker;

/**
 * Input the user can fix: a bad task, a missing or malformed data file, an out-of-range value. The
 * message names the field or file. Ends the stage with exit code {@value #EXIT_CODE}, which the
 * operator's pod failure policy treats as not worth a retry.
 */
public class InvalidInputException extends RuntimeException {

  public static final int EXIT_CODE = 2;

  public InvalidInputException(String message) {
    super(message);
  }

  public InvalidInputException(String message, Throwable cause) {
    super(message, cause);
  }
}
