package dev.tasklane.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;

/**
 * What a submitted value may hold so that it can be given back: a task is read by every page of
 * {@code GET /api/v1/tasks}, the dashboard and the clients for as long as it is kept, so a value
 * that could be stored but not written out again would break them all until retention deletes
 * it. Checked before anything is stored; a value that breaks a rule is a 422.
 *
 * <ul>
 *   <li>At most {@value #MAX_DEPTH} levels of arrays and objects. A response wraps the value a few
 *       levels deeper, and JSON writers and parsers stop at 1,000 (Jackson, Python's recursion
 *       limit); 100 leaves room for every wrapper and every client.
 *   <li>Text holds no unpaired UTF-16 surrogate ({@code "\ud800"} alone): it has no UTF-8 form, so
 *       a store would keep a {@code ?} in its place and give back something else than was sent.
 * </ul>
 *
 * Numbers need no rule here: the parser refuses more than 1,000 digits, and a short number with a
 * huge exponent ({@code 1e999999}) is kept and given back as written.
 */
final class StorableJson {
  static final int MAX_DEPTH = 100;

  private StorableJson() {}

  /** Why {@code value} cannot be stored and given back, or {@code null} if it can. */
  static String problem(JsonNode value) {
    // Iterative: a value nested a thousand levels must not cost a thousand stack frames here.
    Deque<Map.Entry<JsonNode, Integer>> pending = new ArrayDeque<>();
    pending.push(Map.entry(value, 0));
    while (!pending.isEmpty()) {
      Map.Entry<JsonNode, Integer> next = pending.pop();
      JsonNode node = next.getKey();
      int depth = next.getValue();
      if (node.isContainerNode()) {
        if (depth + 1 > MAX_DEPTH) {
          return "nested more than " + MAX_DEPTH + " levels deep";
        }
        if (node.isObject()) {
          for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (hasLoneSurrogate(field.getKey())) {
              return loneSurrogate();
            }
            pending.push(Map.entry(field.getValue(), depth + 1));
          }
        } else {
          for (JsonNode element : node) {
            pending.push(Map.entry(element, depth + 1));
          }
        }
      } else if (node.isTextual() && hasLoneSurrogate(node.textValue())) {
        return loneSurrogate();
      }
    }
    return null;
  }

  /** Why text cannot be stored and given back as sent, or {@code null} if it can. */
  static String textProblem(String text) {
    return hasLoneSurrogate(text) ? loneSurrogate() : null;
  }

  private static String loneSurrogate() {
    return "text holds an unpaired UTF-16 surrogate (\\ud800-\\udfff), which has no UTF-8 form";
  }

  static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return true;
        }
      } else if (Character.isLowSurrogate(c)) {
        return true;
      }
    }
    return false;
  }
}
