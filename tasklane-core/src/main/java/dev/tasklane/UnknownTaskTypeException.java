package dev.tasklane;

import java.util.Set;

/** A submission names a task type that no handler is registered for. */
public class UnknownTaskTypeException extends TasklaneException {
  private final String type;
  private final Set<String> knownTypes;

  public UnknownTaskTypeException(String type, Set<String> knownTypes) {
    super("unknown task type '" + type + "'; registered types: " + knownTypes);
    this.type = type;
    this.knownTypes = Set.copyOf(knownTypes);
  }

  public String type() {
    return type;
  }

  public Set<String> knownTypes() {
    return knownTypes;
  }
}
