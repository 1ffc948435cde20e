package dev.goldpan.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goldpan.api.v1alpha1.DistillationJob;
import dev.goldpan.api.v1alpha1.DistillationJobStatus;
import dev.goldpan.api.v1alpha1.Phase;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Events leave the reconcile's path but are not lost: the operator writes them before it stops. */
@EnableKubernetesMockClient(crud = true)
class StageTransitionsTest {

  private static final String NAMESPACE = "events";

  private KubernetesClient client;

  @Test
  void everyEventRecordedBeforeAStopIsWrittenByTheTimeItReturns() {
    StageTransitions transitions =
        new StageTransitions(client, new SimpleMeterRegistry(), Clock.systemUTC());
    int jobs = 200;
    for (int i = 0; i < jobs; i++) {
      DistillationJob job = MockCluster.job(client, NAMESPACE, "job-" + i);
      job.getMetadata().setUid("uid-" + i);
      DistillationJobStatus failed = new DistillationJobStatus();
      failed.setPhase(Phase.FAILED);
      transitions.record(job, null, failed);
    }

    transitions.onStop(new ShutdownEvent());

    List<Event> events = client.v1().events().inNamespace(NAMESPACE).list().getItems();
    assertThat(events).hasSize(jobs);
    assertThat(events).extracting(Event::getReason).containsOnly("Failed");
    assertThat(events)
        .extracting(e -> e.getInvolvedObject().getName())
        .doesNotHaveDuplicates()
        .contains("job-0", "job-" + (jobs - 1));
  }

  @Test
  void afterTheStopAnEventIsWrittenByItsCaller() {
    StageTransitions transitions =
        new StageTransitions(client, new SimpleMeterRegistry(), Clock.systemUTC());
    transitions.onStop(new ShutdownEvent());
    DistillationJob job = MockCluster.job(client, NAMESPACE, "late");
    DistillationJobStatus failed = new DistillationJobStatus();
    failed.setPhase(Phase.FAILED);

    transitions.record(job, null, failed);

    assertThat(client.v1().events().inNamespace(NAMESPACE).list().getItems())
        .extracting(Event::getReason)
        .containsExactly("Failed");
  }
}
