package dev.goldpan.worker.data;

import dev.goldpan.worker.InvalidInputException;
import java.util.ArrayList;
import java.util.List;

/** Checks on integer labels for formats that do not name their classes. */
final class ClassLabels {

  private ClassLabels() {}

  /** Number of classes implied by the train labels: the largest label plus one. */
  static int classCount(int[] trainLabels) {
    int largest = -1;
    for (int label : trainLabels) {
      largest = Math.max(largest, label);
    }
    return largest + 1;
  }

  /** Fails naming {@code source} if a label is negative or not below {@code classes}. */
  static void requireWithin(int[] labels, int classes, String source) {
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new InvalidInputException(
            source
                + " has label "
                + labels[i]
                + " at index "
                + i
                + "; labels must lie in 0.."
                + (classes - 1)
                + " (the train labels imply "
                + classes
                + " classes)");
      }
    }
  }

  /** The names "0", "1", ... for {@code classes} classes. */
  static List<String> numbered(int classes) {
    List<String> names = new ArrayList<>(classes);
    for (int label = 0; label < classes; label++) {
      names.add(Integer.toString(label));
    }
    return names;
  }
}
