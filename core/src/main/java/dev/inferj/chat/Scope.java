package dev.inferj.chat;

import java.util.HashMap;

/**
 * Variables visible at one point of a render. A {@code for} loop and a macro call open a child
 * scope; {@code if} does not. {@code set} always writes the innermost scope, so an assignment in a
 * loop body is gone after the loop (the reason templates use {@code namespace}).
 */
final class Scope {
    private final Scope parent;
    private final HashMap<String, Object> variables = new HashMap<>(8);

    Scope(Scope parent) {
        this.parent = parent;
    }

    /** The value of {@code name} here or in an enclosing scope; {@link Undefined} when none has it. */
    Object lookup(String name) {
        for (Scope s = this; s != null; s = s.parent) {
            HashMap<String, Object> vars = s.variables;
            Object value = vars.get(name);
            if (value != null || vars.containsKey(name)) {
                return value;
            }
        }
        return Undefined.INSTANCE;
    }

    void set(String name, Object value) {
        variables.put(name, value);
    }
}
