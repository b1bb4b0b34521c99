package dev.inferj.tokenizer;
/** Placeholder until the tokenizer lands. */
final class Placeholder { private Placeholder() { } }
