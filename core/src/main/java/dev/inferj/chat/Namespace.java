package dev.inferj.chat;

import java.util.LinkedHashMap;

/**
 * What {@code namespace(...)} returns: the one object whose attributes a template may assign
 * ({@code {% set ns.found = true %}}), which is how state leaves a loop body. Always truthy, not a
 * mapping for the {@code mapping} test, and written as a JSON object by {@code tojson}.
 */
final class Namespace {
    final LinkedHashMap<String, Object> attributes = new LinkedHashMap<>();
}
