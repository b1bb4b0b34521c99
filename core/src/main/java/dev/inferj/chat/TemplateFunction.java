package dev.inferj.chat;

import java.util.List;
import java.util.Map;

/**
 * Something a template can call: a built-in ({@code range}, {@code namespace}, ...), a bound method
 * ({@code text.split}), a macro or a call block's {@code caller}. Only these run; a template never
 * reaches Java code of its caller's choosing.
 */
interface TemplateFunction {

    /** Arguments as written at the call site: positional first, then keyword in order. */
    record Arguments(List<Object> positional, Map<String, Object> keyword) {
        static final Arguments NONE = new Arguments(List.of(), Map.of());

        Object positional(int index) {
            return index < positional.size() ? positional.get(index) : Undefined.INSTANCE;
        }

        /** The argument at {@code index}, else the keyword argument {@code name}, else undefined. */
        Object get(int index, String name) {
            if (index < positional.size()) {
                return positional.get(index);
            }
            return keyword.containsKey(name) ? keyword.get(name) : Undefined.INSTANCE;
        }
    }

    /**
     * @param interpreter the running render (limits, clock, macro evaluation)
     * @param caller      the scope of the call site: macros see their caller's variables
     */
    Object call(Interpreter interpreter, Arguments arguments, Scope caller);

    /** How the function reads in messages and when rendered. */
    String describe();
}
