package dev.goldpan.worker.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ImageSetTest {

  /** Two 2-channel 1x2 images: bytes 0, 51, 102, 153 and 204, 255, 7, 128. */
  private static final byte[] BYTES = {
    0, 51, 102, (byte) 153, (byte) 204, (byte) 255, 7, (byte) 128
  };

  private static final int[] LABELS = {3, 1};

  @Test
  void bytesReadAsUnitValues() {
    ImageSet set = ImageSet.ofBytes(BYTES, LABELS, 2, 1, 2);

    assertThat(set.storesBytes()).isTrue();
    assertThat(set.bytes()).isSameAs(BYTES);
    assertThat(set.pixels()).containsExactly(0f, 0.2f, 0.4f, 0.6f, 0.8f, 1f, 7 / 255f, 128 / 255f);
  }

  /** The values a normalised byte set reads as are those of normalising its float copy. */
  @Test
  void normalisationOnReadEqualsNormalisingAFloatCopy() {
    Normalization normalization =
        new Normalization(new float[] {0.3f, 0.55f}, new float[] {0.2f, 0.7f});
    ImageSet bytes = ImageSet.ofBytes(BYTES, LABELS, 2, 1, 2).normalised(normalization);
    float[] expected = new float[BYTES.length];
    for (int i = 0; i < BYTES.length; i++) {
      int channel = (i / 2) % 2;
      float unit = (BYTES[i] & 0xFF) / 255f;
      expected[i] = (unit - normalization.mean()[channel]) / normalization.std()[channel];
    }
    ImageSet floats =
        new ImageSet(ImageSet.ofBytes(BYTES, LABELS, 2, 1, 2).pixels(), LABELS, 2, 1, 2);

    assertThat(bytes.pixels()).containsExactly(expected);
    assertThat(bytes.normalised(normalization).pixels()).containsExactly(expected);
    assertThat(floats.normalised(normalization).pixels()).containsExactly(expected);
    assertThat(bytes.values(new int[] {1, 0}, 0, 1))
        .containsExactly(java.util.Arrays.copyOfRange(expected, 4, 8));
    // The bytes stay as they were read: the device can normalise them itself.
    assertThat(bytes.bytes()).isSameAs(BYTES);
    assertThat(bytes.normalization()).isEqualTo(normalization);
  }

  @Test
  void statisticsOverChunksEqualThoseOverTheWhole() {
    ImageSet whole = ImageSet.ofBytes(BYTES, LABELS, 2, 1, 2);
    Normalization.Statistics chunked = new Normalization.Statistics(2);
    chunked.add(whole.select(SampleFilter.range(0, 1)));
    chunked.add(whole.select(SampleFilter.range(1, 2)));

    Normalization expected = Normalization.of(whole);

    assertThat(chunked.normalization()).isEqualTo(expected);
    // channel 0 holds 0, 51, 204, 255: mean 510 / 4 / 255 = 0.5
    assertThat(expected.mean()[0]).isEqualTo(0.5f);
  }

  @Test
  void subsetsAndSelectionsKeepTheBytesAndNormalisation() {
    Normalization normalization =
        new Normalization(new float[] {0.5f, 0.5f}, new float[] {0.25f, 0.25f});
    ImageSet set = ImageSet.ofBytes(BYTES, LABELS, 2, 1, 2).normalised(normalization);

    ImageSet second = set.subset(new int[] {1});
    assertThat(second.bytes()).containsExactly(204, 255, 7, 128);
    assertThat(second.labels()).containsExactly(1);
    assertThat(second.normalization()).isEqualTo(normalization);

    ImageSet selected = set.select(SampleFilter.indices(new int[] {1}));
    assertThat(selected.size()).isEqualTo(2);
    assertThat(selected.heldCount()).isEqualTo(1);
    assertThat(selected.row(1)).isZero();
    assertThat(selected.values(new int[] {1}, 0, 1))
        .containsExactly(set.values(new int[] {1}, 0, 1));
    assertThatThrownBy(() -> selected.row(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("image 0 is not held");
    assertThat(selected.compact()).isEqualTo(second);
  }

  @Test
  void aFloatSetHasNoBytes() {
    ImageSet set = new ImageSet(new float[] {0.5f, -1f}, new int[] {0}, 1, 1, 2);

    assertThat(set.storesBytes()).isFalse();
    assertThat(set.pixels()).containsExactly(0.5f, -1f);
    assertThatThrownBy(set::bytes)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("float values");
  }
}
