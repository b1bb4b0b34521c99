package dev.inferj.chat;

/**
 * The value of a name or attribute that does not exist. Distinct from {@code none} (Java
 * {@code null}): {@code x is defined} tells them apart, {@code default} replaces only this one, and
 * both render as nothing.
 */
enum Undefined {
    INSTANCE;

    @Override
    public String toString() {
        return "undefined";
    }
}
