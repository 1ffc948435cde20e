package dev.goldpan.worker.stage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goldpan.worker.stage.SelectionPilots.Ledger;
import dev.goldpan.worker.stage.SelectionPilots.Pilot;
import dev.goldpan.worker.stage.SelectionPilots.Setting;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pilots' budget and the rule that replaces the best setting, on pilots with known results. */
class SelectionPilotsLedgerTest {

  private static final Setting FULL = new Setting("loss-converge", 1, null);
  private static final Setting HALF = new Setting("loss-converge", 0.5, null);
  private static final Setting THIRD = new Setting("loss-converge", 0.3, null);
  private static final Setting RANDOM = new Setting("random", 0.5, null);

  @Test
  void aPilotStartsOnlyWhenTheBudgetHasRoomForTheLongestSoFar() {
    List<Setting> ran = new ArrayList<>();
    Ledger ledger = new Ledger(30, 1);
    for (Setting setting : List.of(FULL, HALF, THIRD, RANDOM)) {
      ledger.offer(
          setting,
          s -> {
            ran.add(s);
            return new Pilot(s, 100, new double[] {0.5, 0.5}, 10);
          });
    }
    // 1 + 10 + 10 = 21 spent; a third 10-second pilot would end at 31, past the 30 budgeted.
    assertThat(ran).containsExactly(FULL, HALF);
    assertThat(ledger.skipped()).containsExactly(THIRD, RANDOM);
    assertThat(ledger.spent()).isEqualTo(21).isLessThanOrEqualTo(30);
  }

  @Test
  void theBaselineRunsEvenWhenItAloneOverrunsTheBudget() {
    Ledger ledger = new Ledger(5, 0);
    ledger.offer(FULL, s -> new Pilot(s, 100, new double[] {0.5, 0.5}, 8));
    ledger.offer(HALF, s -> new Pilot(s, 50, new double[] {0.9, 0.9}, 8));
    assertThat(ledger.pilots()).extracting(Pilot::setting).containsExactly(FULL);
    assertThat(ledger.best().setting()).isEqualTo(FULL);
  }

  @Test
  void aSettingReplacesTheBestOnlyWhenItWinsByMoreThanTheMarginAndTheNoise() {
    Map<Setting, double[]> accuracies =
        Map.of(
            FULL, new double[] {0.60, 0.62, 0.61},
            // +0.5 points on every network: consistent but under the 1-point margin.
            HALF, new double[] {0.605, 0.625, 0.615},
            // +3 points on average, but -4, +11 and +2 across the networks: noise.
            THIRD, new double[] {0.56, 0.73, 0.63},
            // +2 points on every network.
            RANDOM, new double[] {0.62, 0.64, 0.63});
    Ledger ledger = new Ledger(1000, 0);
    Setting[] bestAfter = new Setting[4];
    int k = 0;
    for (Setting setting : List.of(FULL, HALF, THIRD, RANDOM)) {
      ledger.offer(setting, s -> new Pilot(s, 100, accuracies.get(s), 1));
      bestAfter[k++] = ledger.best().setting();
    }
    assertThat(bestAfter).containsExactly(FULL, FULL, FULL, RANDOM);
  }
}
