package dev.tasklane.server;

import java.util.List;

/**
 * A request failed validation; answered with 422 and every {@link FieldError} at once. Thrown by
 * the request readers, mapped in one place by {@link ErrorMapping}.
 */
final class RequestValidationException extends RuntimeException {
  private final transient List<FieldError> errors;

  RequestValidationException(List<FieldError> errors) {
    super(errors.size() + " validation error(s)", null, false, false);
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a validation failure needs at least one error");
    }
    this.errors = List.copyOf(errors);
  }

  RequestValidationException(FieldError error) {
    this(List.of(error));
  }

  List<FieldError> errors() {
    return errors;
  }
}
