package dev.tasklane.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.TaskRequest;
import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads typed fields from a JSON object, query string or path the way pydantic v2 validates a
 * model in lax mode, and collects every error rather than stopping at the first: a client fixes
 * all its mistakes from one 422.
 *
 * <p>Each reader returns the value, or {@code null} after recording an error (or when an optional
 * field is absent or {@code null}); call {@link #throwIfInvalid()} once all fields are read. One
 * field yields at most one error, checked in pydantic's order: type, then parse, then bounds.
 */
final class FieldReader {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Pattern INTEGER_TEXT = Pattern.compile("[+-]?\\d+(\\.0*)?");
  private static final Pattern NUMBER_TEXT =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
  /** Python refuses to parse longer numbers from text (its 4300-digit limit); so does this. */
  private static final int MAX_NUMBER_TEXT = 4300;

  /** Python's datetime range, which is also what every store can hold. */
  private static final Instant MIN_DATE_TIME = TaskRequest.MIN_RUN_AT;

  private static final Instant MAX_DATE_TIME = TaskRequest.MAX_RUN_AT;

  /** pydantic reads numbers above this as epoch milliseconds rather than seconds. */
  private static final BigDecimal EPOCH_MILLIS_THRESHOLD = new BigDecimal("2e10");

  /** Past year 9999 even as milliseconds. */
  private static final BigDecimal BEYOND_ANY_TIMESTAMP = new BigDecimal("1e16");

  private static final BigDecimal BELOW_A_NANOSECOND = new BigDecimal("1e-10");

  /** Where the fields are, as the start of each error's {@code loc}: {@code ["body"]}, ... */
  private final List<Object> location;
  private final Function<String, JsonNode> values;
  private final JsonNode whole;
  private final List<FieldError> errors;

  private FieldReader(
      List<Object> location, Function<String, JsonNode> values, JsonNode whole, List<FieldError> errors) {
    this.location = List.copyOf(location);
    this.values = values;
    this.whole = whole;
    this.errors = errors;
  }

  private FieldReader(String source, Function<String, JsonNode> values, JsonNode whole) {
    this(List.of(source), values, whole, new ArrayList<>());
  }

  /**
   * The fields of an object nested in this one, at {@code name}: its errors are located below
   * this reader's ({@code ["body", "payload", "data"]}) and gathered with this reader's, so one
   * {@link #throwIfInvalid()} reports both.
   */
  FieldReader nested(String name, ObjectNode object) {
    List<Object> loc = new ArrayList<>(location);
    loc.add(name);
    return new FieldReader(loc, object::get, object, errors);
  }

  /** Fields of a JSON request body. */
  static FieldReader body(ObjectNode body) {
    return new FieldReader("body", body::get, body);
  }

  /**
   * Query parameters, each given as text. A repeated parameter counts by its last value, as in
   * FastAPI.
   */
  static FieldReader query(Map<String, List<String>> params) {
    return new FieldReader(
        "query",
        name -> {
          List<String> v = params.get(name);
          return v == null || v.isEmpty() ? null : NODES.textNode(v.get(v.size() - 1));
        },
        NODES.nullNode());
  }

  /** Path parameters, each given as text. */
  static FieldReader path(Map<String, String> params) {
    return new FieldReader(
        "path",
        name -> params.containsKey(name) ? NODES.textNode(params.get(name)) : null,
        NODES.nullNode());
  }

  // ---------------------------------------------------------------- strings

  /** A required {@code str}. */
  String requiredString(String name) {
    JsonNode v = values.apply(name);
    if (v == null) {
      missing(name);
      return null;
    }
    if (!v.isTextual()) {
      error(name, "string_type", "Input should be a valid string", v, null);
      return null;
    }
    return v.textValue();
  }

  /**
   * An optional {@code str | None = None} with constraints.
   *
   * @param minLength fewest characters, or 0
   * @param maxLength most characters, or {@link Integer#MAX_VALUE}
   * @param pattern a full-match pattern, or {@code null}
   */
  String optionalString(String name, int minLength, int maxLength, Pattern pattern) {
    JsonNode v = values.apply(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      error(name, "string_type", "Input should be a valid string", v, null);
      return null;
    }
    String s = v.textValue();
    int length = s.codePointCount(0, s.length());
    if (length < minLength) {
      error(
          name,
          "string_too_short",
          "String should have at least " + minLength + " character" + (minLength == 1 ? "" : "s"),
          v,
          ctx("min_length", minLength));
      return null;
    }
    if (length > maxLength) {
      error(
          name,
          "string_too_long",
          "String should have at most " + maxLength + " character" + (maxLength == 1 ? "" : "s"),
          v,
          ctx("max_length", maxLength));
      return null;
    }
    if (pattern != null && !pattern.matcher(s).matches()) {
      String shown = anchored(pattern);
      error(
          name,
          "string_pattern_mismatch",
          "String should match pattern '" + shown + "'",
          v,
          ctx("pattern", shown));
      return null;
    }
    return s;
  }

  /**
   * A {@code Literal[...]} of strings.
   *
   * @param required whether absence is an error ({@code missing}) or yields {@code null}
   * @param allowed the accepted values, in the order the message lists them
   */
  String literal(String name, boolean required, Collection<String> allowed) {
    JsonNode v = values.apply(name);
    if (v == null || (!required && v.isNull())) {
      if (required) {
        missing(name);
      }
      return null;
    }
    if (v.isTextual() && allowed.contains(v.textValue())) {
      return v.textValue();
    }
    String expected = expectedList(allowed);
    error(name, "literal_error", "Input should be " + expected, v, ctx("expected", expected));
    return null;
  }

  // ---------------------------------------------------------------- numbers

  /**
   * An {@code int} with inclusive bounds.
   *
   * @param fallback the value when the field is absent
   * @param nullable whether {@code null} is accepted ({@code int | None}), yielding {@code null}
   */
  Integer integer(String name, Integer fallback, boolean nullable, int min, int max) {
    JsonNode v = values.apply(name);
    if (v == null) {
      return fallback;
    }
    if (v.isNull() && nullable) {
      return null;
    }
    // BigDecimal throughout: 1e999999 must be compared, never expanded into a million digits.
    BigDecimal n;
    if (v.isIntegralNumber()) {
      n = new BigDecimal(v.bigIntegerValue());
    } else if (v.isNumber()) {
      n = v.decimalValue();
      if (n.signum() != 0 && n.stripTrailingZeros().scale() > 0) {
        error(
            name,
            "int_from_float",
            "Input should be a valid integer, got a number with a fractional part",
            v,
            null);
        return null;
      }
    } else if (v.isTextual()) {
      String text = v.textValue().strip();
      if (text.length() > MAX_NUMBER_TEXT || !INTEGER_TEXT.matcher(text).matches()) {
        error(
            name,
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
            v,
            null);
        return null;
      }
      n = new BigDecimal(text);
    } else if (v.isBoolean()) {
      // pydantic's lax mode reads true as 1 and false as 0 (its conversion table), JSON or not.
      n = v.booleanValue() ? BigDecimal.ONE : BigDecimal.ZERO;
    } else {
      // null, objects, arrays.
      error(name, "int_type", "Input should be a valid integer", v, null);
      return null;
    }
    if (n.compareTo(BigDecimal.valueOf(min)) < 0) {
      error(
          name,
          "greater_than_equal",
          "Input should be greater than or equal to " + min,
          v,
          ctx("ge", min));
      return null;
    }
    if (n.compareTo(BigDecimal.valueOf(max)) > 0) {
      error(
          name,
          "less_than_equal",
          "Input should be less than or equal to " + max,
          v,
          ctx("le", max));
      return null;
    }
    return n.intValueExact();
  }

  /**
   * An optional {@code float | None = None} with bounds; finite only.
   *
   * @param lower the lower bound
   * @param lowerInclusive {@code ge} when true, {@code gt} when false
   * @param max inclusive upper bound
   */
  BigDecimal optionalNumber(String name, long lower, boolean lowerInclusive, long max) {
    JsonNode v = values.apply(name);
    if (v == null || v.isNull()) {
      return null;
    }
    BigDecimal n = toNumber(name, v);
    if (n == null) {
      return null;
    }
    int c = n.compareTo(BigDecimal.valueOf(lower));
    if (lowerInclusive && c < 0) {
      error(
          name,
          "greater_than_equal",
          "Input should be greater than or equal to " + lower,
          v,
          ctx("ge", lower));
      return null;
    }
    if (!lowerInclusive && c <= 0) {
      error(name, "greater_than", "Input should be greater than " + lower, v, ctx("gt", lower));
      return null;
    }
    if (n.compareTo(BigDecimal.valueOf(max)) > 0) {
      error(
          name,
          "less_than_equal",
          "Input should be less than or equal to " + max,
          v,
          ctx("le", max));
      return null;
    }
    return n;
  }

  private BigDecimal toNumber(String name, JsonNode v) {
    if (v.isNumber()) {
      return v.decimalValue();
    }
    if (v.isTextual()) {
      String text = v.textValue().strip();
      if (text.length() <= MAX_NUMBER_TEXT && NUMBER_TEXT.matcher(text).matches()) {
        try {
          return new BigDecimal(text);
        } catch (NumberFormatException exponentOutOfRange) {
          // "1e99999999999": an exponent BigDecimal cannot hold is reported as unparsable.
        }
      }
      String lower = text.toLowerCase(Locale.ROOT);
      if (lower.matches("[+-]?(inf|infinity|nan)")) {
        // pydantic would parse these; a delay or timeout of infinity has no meaning here.
        error(name, "finite_number", "Input should be a finite number", v, null);
        return null;
      }
      error(
          name,
          "float_parsing",
          "Input should be a valid number, unable to parse string as a number",
          v,
          null);
      return null;
    }
    error(name, "float_type", "Input should be a valid number", v, null);
    return null;
  }

  // ---------------------------------------------------------------- dates and ids

  /**
   * An optional {@code datetime | None = None}: an ISO-8601 string (without an offset, UTC is
   * assumed) or, as pydantic also accepts, a Unix timestamp in seconds (milliseconds above 2e10).
   */
  Instant optionalDateTime(String name) {
    JsonNode v = values.apply(name);
    if (v == null || v.isNull()) {
      return null;
    }
    Instant parsed;
    if (v.isNumber()) {
      parsed = fromTimestamp(v.decimalValue());
    } else if (v.isTextual()) {
      parsed = fromIso(v.textValue().strip());
    } else {
      error(name, "datetime_type", "Input should be a valid datetime", v, null);
      return null;
    }
    if (parsed == null) {
      dateTimeError(name, v, "expected an ISO-8601 date-time such as 2030-01-01T09:00:00Z");
      return null;
    }
    if (parsed.isBefore(MIN_DATE_TIME) || parsed.isAfter(MAX_DATE_TIME)) {
      dateTimeError(name, v, "year must be between 1 and 9999");
      return null;
    }
    return parsed;
  }

  private static Instant fromTimestamp(BigDecimal n) {
    // A short number may have a huge exponent (1e999999999, 1e-999999999): decide from its size
    // before any arithmetic that would expand it into that many digits.
    if (n.abs().compareTo(BEYOND_ANY_TIMESTAMP) > 0) {
      return Instant.MAX;
    }
    if (n.abs().compareTo(BELOW_A_NANOSECOND) < 0) {
      n = BigDecimal.ZERO;
    }
    if (n.abs().compareTo(EPOCH_MILLIS_THRESHOLD) > 0) {
      n = n.movePointLeft(3);
    }
    try {
      BigDecimal[] secondsAndFraction = n.divideAndRemainder(BigDecimal.ONE);
      return Instant.ofEpochSecond(
          secondsAndFraction[0].longValueExact(),
          secondsAndFraction[1].movePointRight(9).longValue());
    } catch (ArithmeticException | DateTimeException e) {
      return Instant.MAX; // out of range: reported as such by the caller
    }
  }

  private static Instant fromIso(String text) {
    // pydantic accepts a space between date and time, as RFC 3339 allows.
    if (text.length() > 10 && text.charAt(10) == ' ') {
      text = text.substring(0, 10) + 'T' + text.substring(11);
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeException withOffset) {
      try {
        return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
      } catch (DateTimeException withoutOffset) {
        return null;
      }
    }
  }

  private void dateTimeError(String name, JsonNode v, String why) {
    error(name, "datetime_parsing", "Input should be a valid datetime", v, ctx("error", why));
  }

  /** An optional {@code UUID | None = None}; pydantic's messages for a malformed one. */
  UUID optionalUuid(String name) {
    JsonNode v = values.apply(name);
    if (v == null || v.isNull()) {
      return null;
    }
    return toUuid(name, v);
  }

  /** A required {@code UUID}. */
  UUID requiredUuid(String name) {
    JsonNode v = values.apply(name);
    if (v == null) {
      missing(name);
      return null;
    }
    return toUuid(name, v);
  }

  private UUID toUuid(String name, JsonNode v) {
    if (!v.isTextual()) {
      error(name, "uuid_type", "UUID input should be a string, bytes or UUID object", v, null);
      return null;
    }
    UuidText.Parsed parsed = UuidText.parse(v.textValue());
    if (parsed.error() != null) {
      error(
          name,
          "uuid_parsing",
          "Input should be a valid UUID, " + parsed.error(),
          v,
          ctx("error", parsed.error()));
      return null;
    }
    return parsed.uuid();
  }

  // ---------------------------------------------------------------- booleans

  /**
   * An optional {@code bool | None = None}. JSON booleans, and the texts and numbers pydantic's
   * lax mode reads as booleans ({@code "true"}, {@code "off"}, {@code 1}, ...).
   */
  Boolean optionalBool(String name) {
    JsonNode v = values.apply(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    if (v.isIntegralNumber() && (v.asLong() == 0 || v.asLong() == 1)) {
      return v.asLong() == 1;
    }
    if (v.isTextual()) {
      switch (v.textValue().strip().toLowerCase(java.util.Locale.ROOT)) {
        case "true", "1", "yes", "y", "on", "t" -> {
          return true;
        }
        case "false", "0", "no", "n", "off", "f" -> {
          return false;
        }
        default -> {
          error(name, "bool_parsing", "Input should be a valid boolean, unable to interpret input", v, null);
          return null;
        }
      }
    }
    error(name, "bool_type", "Input should be a valid boolean", v, null);
    return null;
  }

  // ---------------------------------------------------------------- lists

  /**
   * A {@code list[str]} of names, each matching {@code pattern}, with at most {@code maxItems}
   * items; duplicates are kept once.
   *
   * @param required whether absence is an error ({@code missing}) or yields an empty list
   */
  List<String> names(String name, boolean required, int maxItems, Pattern pattern) {
    JsonNode v = values.apply(name);
    if (v == null || v.isNull()) {
      if (required) {
        missing(name);
      }
      return List.of();
    }
    if (!listWithin(name, v, maxItems)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      JsonNode item = v.get(i);
      if (!item.isTextual()) {
        itemError(name, i, "string_type", "Input should be a valid string", item, null);
      } else if (pattern != null && !pattern.matcher(item.textValue()).matches()) {
        String shown = anchored(pattern);
        itemError(
            name, i, "string_pattern_mismatch", "String should match pattern '" + shown + "'", item,
            ctx("pattern", shown));
      } else if (!out.contains(item.textValue())) {
        out.add(item.textValue());
      }
    }
    return out;
  }

  /**
   * A list of objects, at most {@code maxItems}: each comes with a reader of its own fields,
   * located at its index ({@code ["body", "runs", 3, "task_id"]}).
   */
  List<FieldReader> objects(String name, boolean required, int maxItems) {
    JsonNode v = values.apply(name);
    if (v == null || v.isNull()) {
      if (required) {
        missing(name);
      }
      return List.of();
    }
    if (!listWithin(name, v, maxItems)) {
      return List.of();
    }
    List<FieldReader> out = new ArrayList<>();
    List<Object> loc = new ArrayList<>(location);
    loc.add(name);
    for (int i = 0; i < v.size(); i++) {
      JsonNode item = v.get(i);
      if (!item.isObject()) {
        itemError(name, i, "model_type", "Input should be a valid dictionary or object", item, null);
        continue;
      }
      List<Object> at = new ArrayList<>(loc);
      at.add(i);
      out.add(new FieldReader(at, item::get, item, errors));
    }
    return out;
  }

  private boolean listWithin(String name, JsonNode v, int maxItems) {
    if (!v.isArray()) {
      error(name, "list_type", "Input should be a valid list", v, null);
      return false;
    }
    if (v.size() > maxItems) {
      error(
          name,
          "too_long",
          "List should have at most " + maxItems + " items after validation, not " + v.size(),
          echoable(v),
          ctx("max_length", maxItems));
      return false;
    }
    return true;
  }

  private void itemError(
      String name, int index, String type, String msg, JsonNode input, Map<String, Object> ctx) {
    List<Object> loc = at(name);
    loc.add(index);
    errors.add(new FieldError(type, loc, msg, echoable(input), ctx));
  }

  // ---------------------------------------------------------------- anything

  /** A field of any JSON value ({@code Any}), {@code fallback} when absent. */
  JsonNode any(String name, JsonNode fallback) {
    JsonNode v = values.apply(name);
    return v == null ? fallback : v;
  }

  /**
   * Records a {@code value_error} at {@code name} when {@code value} (already read) could be
   * stored but not given back whole ({@link StorableJson}); {@code null} is fine.
   */
  void requireStorable(String name, JsonNode value) {
    String problem = value == null ? null : StorableJson.problem(value);
    if (problem != null) {
      error(name, "value_error", "Value error, " + problem, value, ctx("error", problem));
    }
  }

  /**
   * Records a {@code value_error} at {@code name} when {@code text} (already read) holds an
   * unpaired surrogate, which has no UTF-8 form ({@link StorableJson}).
   */
  void requireUtf8(String name, String text) {
    recordTextProblem(name, text, text == null ? null : StorableJson.textProblem(text));
  }

  /**
   * {@link #requireUtf8} for text a store keeps in a text column, which also refuses NUL
   * (PostgreSQL's text cannot hold it).
   */
  void requireStorableText(String name, String text) {
    recordTextProblem(
        name,
        text,
        text != null && text.indexOf('\0') >= 0
            ? "text holds a NUL character (\\u0000)"
            : text == null ? null : StorableJson.textProblem(text));
  }

  private void recordTextProblem(String name, String text, String problem) {
    if (problem != null) {
      error(name, "value_error", "Value error, " + problem, NODES.textNode(text), ctx("error", problem));
    }
  }

  /**
   * The input an error may echo: the value itself, or for a value that could not be written back
   * whole (too deep, an unpaired surrogate), a short description of its outermost level, so the
   * 422 itself can always be written.
   */
  static JsonNode echoable(JsonNode value) {
    if (value == null || StorableJson.problem(value) == null) {
      return value;
    }
    if (value.isArray()) {
      return NODES.textNode("[... " + value.size() + " element" + (value.size() == 1 ? "" : "s") + "]");
    }
    if (value.isObject()) {
      return NODES.textNode("{... " + value.size() + " field" + (value.size() == 1 ? "" : "s") + "}");
    }
    return NODES.textNode(LogText.quote(value.asText(), 1000)); // unpaired surrogates escaped
  }

  // ---------------------------------------------------------------- objects

  /** A required object ({@code dict}); null, with the error recorded, if it is absent or no object. */
  ObjectNode requiredObject(String name) {
    JsonNode v = values.apply(name);
    if (v == null) {
      missing(name);
      return null;
    }
    if (!v.isObject()) {
      error(name, "dict_type", "Input should be a valid dictionary", v, null);
      return null;
    }
    return (ObjectNode) v;
  }

  /** Refuses a field this model does not take, if it is present: pydantic's {@code extra='forbid'}. */
  void forbid(String name) {
    JsonNode v = values.apply(name);
    if (v != null) {
      error(name, "extra_forbidden", "Extra inputs are not permitted", v, null);
    }
  }

  /** Records that a field that read well is invalid all the same, and why (a validator's error). */
  void invalid(String name, String message) {
    error(name, "value_error", "Value error, " + message, values.apply(name), ctx("error", message));
  }

  // ---------------------------------------------------------------- errors

  /** Records an error that is not about one field's type, e.g. a rule across fields. */
  void modelError(String message) {
    errors.add(
        new FieldError(
            "value_error",
            location,
            "Value error, " + message,
            whole,
            ctx("error", message)));
  }

  boolean hasErrors() {
    return !errors.isEmpty();
  }

  /**
   * @throws RequestValidationException with every recorded error, if there is any
   */
  void throwIfInvalid() {
    if (!errors.isEmpty()) {
      throw new RequestValidationException(errors);
    }
  }

  private void missing(String name) {
    // pydantic reports the whole model input on a missing field: that is what was given.
    errors.add(new FieldError("missing", at(name), "Field required", whole, null));
  }

  private void error(String name, String type, String msg, JsonNode input, Map<String, Object> ctx) {
    errors.add(new FieldError(type, at(name), msg, input, ctx));
  }

  private List<Object> at(String name) {
    List<Object> loc = new ArrayList<>(location.size() + 1);
    loc.addAll(location);
    loc.add(name);
    return loc;
  }

  private static Map<String, Object> ctx(String key, Object value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put(key, value);
    return m;
  }

  /** pydantic's pattern is a search; a full-match pattern shows anchored, as a model declares it. */
  private static String anchored(Pattern p) {
    String s = p.pattern();
    return (s.startsWith("^") ? "" : "^") + s + (s.endsWith("$") ? "" : "$");
  }

  /** {@code 'a'}, {@code 'a' or 'b'}, {@code 'a', 'b' or 'c'}: pydantic's wording. */
  static String expectedList(Collection<String> allowed) {
    List<String> quoted = allowed.stream().map(s -> "'" + s + "'").toList();
    if (quoted.size() <= 1) {
      return quoted.isEmpty() ? "" : quoted.get(0);
    }
    return String.join(", ", quoted.subList(0, quoted.size() - 1))
        + " or "
        + quoted.get(quoted.size() - 1);
  }
}
