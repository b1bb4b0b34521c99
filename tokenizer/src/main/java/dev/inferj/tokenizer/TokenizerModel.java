package dev.inferj.tokenizer;

/** The tokenization algorithm a {@link Vocabulary} is meant for (GGUF {@code tokenizer.ggml.model}). */
public enum TokenizerModel {
    /** SentencePiece BPE over characters with byte fallback (GGUF {@code "llama"}): Llama 2, Mistral, Gemma. */
    LLAMA,
    /** Byte-level BPE with ranked merges (GGUF {@code "gpt2"}): Llama 3, Qwen, the GPT-2 family. */
    GPT2
}
