package dev.tasklane;

import static dev.tasklane.TaskState.CANCELLED;
import static dev.tasklane.TaskState.FAILED;
import static dev.tasklane.TaskState.QUEUED;
import static dev.tasklane.TaskState.RUNNING;
import static dev.tasklane.TaskState.SCHEDULED;
import static dev.tasklane.TaskState.SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TaskStateTest {

  /** The whole table, written out independently of the switch it checks. */
  private static final Map<TaskState, Set<TaskState>> ALLOWED =
      Map.of(
          SCHEDULED, EnumSet.of(QUEUED, CANCELLED),
          QUEUED, EnumSet.of(RUNNING, CANCELLED),
          RUNNING, EnumSet.of(SUCCEEDED, FAILED, CANCELLED, SCHEDULED, QUEUED),
          SUCCEEDED, EnumSet.noneOf(TaskState.class),
          FAILED, EnumSet.of(QUEUED),
          CANCELLED, EnumSet.of(QUEUED));

  @Test
  void everyPairFollowsTheTransitionTable() {
    for (TaskState from : TaskState.values()) {
      for (TaskState to : TaskState.values()) {
        assertThat(from.canTransitionTo(to))
            .as("%s -> %s", from, to)
            .isEqualTo(ALLOWED.get(from).contains(to));
      }
    }
  }

  @Test
  void illegalTransitionThrowsWithBothStates() {
    assertThatThrownBy(() -> SUCCEEDED.checkTransitionTo(QUEUED))
        .isInstanceOfSatisfying(
            IllegalTransitionException.class,
            e -> {
              assertThat(e.from()).isEqualTo(SUCCEEDED);
              assertThat(e.to()).isEqualTo(QUEUED);
            })
        .hasMessage("a task cannot move from succeeded to queued");
  }

  @Test
  void noStateMovesToItself() {
    for (TaskState s : TaskState.values()) {
      assertThat(s.canTransitionTo(s)).as("%s -> itself", s).isFalse();
    }
  }

  @Test
  void terminalStatesAreSucceededFailedAndCancelled() {
    assertThat(EnumSet.allOf(TaskState.class).stream().filter(TaskState::isTerminal))
        .containsExactlyInAnyOrder(SUCCEEDED, FAILED, CANCELLED);
  }

  @Test
  void everyNonTerminalStateCanBeCancelled() {
    for (TaskState s : TaskState.values()) {
      assertThat(s.canTransitionTo(CANCELLED)).as(s.name()).isEqualTo(!s.isTerminal());
    }
  }

  @Test
  void apiNamesAreTheDocumentedLowerCaseNames() {
    assertThat(EnumSet.allOf(TaskState.class).stream().map(TaskState::apiName))
        .containsExactly("scheduled", "queued", "running", "succeeded", "failed", "cancelled");
    for (TaskState s : TaskState.values()) {
      assertThat(TaskState.fromApiName(s.apiName())).isEqualTo(s);
    }
    assertThatThrownBy(() -> TaskState.fromApiName("done"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("done");
  }
}
