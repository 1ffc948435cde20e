package dev.goldpan.worker.data;

/** The two parts of a data set. */
public enum Split {
  TRAIN("train"),
  TEST("test");

  private final String value;

  Split(String value) {
    this.value = value;
  }

  @Override
  public String toString() {
    return value;
  }
}
