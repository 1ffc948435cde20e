package dev.goldpan.worker.data;

import java.util.Arrays;

/**
 * Which samples of a split a reader decodes images for, by their index in the split and their
 * label; the others keep only their label.
 */
@FunctionalInterface
public interface SampleFilter {

  /** Every sample. */
  SampleFilter ALL = (index, label) -> true;

  boolean accepts(int index, int label);

  /**
   * False only when no sample with an index in {@code [from, to)} can be accepted, whatever its
   * label; lets a reader skip a whole file.
   */
  default boolean mayAcceptAny(int from, int to) {
    return true;
  }

  /** The samples of the given classes. */
  static SampleFilter classes(int... labels) {
    boolean[] wanted = new boolean[Arrays.stream(labels).max().orElse(-1) + 1];
    for (int label : labels) {
      wanted[label] = true;
    }
    return (index, label) -> label >= 0 && label < wanted.length && wanted[label];
  }

  /** The samples with an index in {@code [from, to)}. */
  static SampleFilter range(int from, int to) {
    return new SampleFilter() {
      @Override
      public boolean accepts(int index, int label) {
        return index >= from && index < to;
      }

      @Override
      public boolean mayAcceptAny(int first, int end) {
        return first < to && end > from;
      }
    };
  }

  /** The samples at {@code indices} (any order, repeats allowed). */
  static SampleFilter indices(int[] indices) {
    int[] sorted = Arrays.stream(indices).sorted().distinct().toArray();
    return new SampleFilter() {
      @Override
      public boolean accepts(int index, int label) {
        return Arrays.binarySearch(sorted, index) >= 0;
      }

      @Override
      public boolean mayAcceptAny(int from, int to) {
        int position = Arrays.binarySearch(sorted, from);
        int next = position >= 0 ? position : -position - 1;
        return next < sorted.length && sorted[next] < to;
      }
    };
  }
}
