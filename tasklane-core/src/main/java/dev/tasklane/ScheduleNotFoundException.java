package dev.tasklane;

/** No schedule has the given name. */
public class ScheduleNotFoundException extends TasklaneException {
  private final String name;

  public ScheduleNotFoundException(String name) {
    super("schedule '" + name + "' not found");
    this.name = name;
  }

  public String name() {
    return name;
  }
}
