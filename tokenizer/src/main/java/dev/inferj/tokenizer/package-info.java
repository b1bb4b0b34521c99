/**
 * Text to token ids and back. A {@link dev.inferj.tokenizer.Vocabulary} (tokens, scores, token
 * types, merges and special ids) goes in, {@link dev.inferj.tokenizer.Tokenizer#of} returns the
 * tokenizer for its model, which encodes text, decodes ids, and hands out a
 * {@link dev.inferj.tokenizer.StreamingDecoder} that never emits a broken UTF-8 character.
 */
package dev.inferj.tokenizer;
