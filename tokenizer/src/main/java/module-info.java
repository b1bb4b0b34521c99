/** Text to token ids and back, from a vocabulary: SentencePiece-style and byte-level BPE. */
module dev.inferj.tokenizer {
    exports dev.inferj.tokenizer;
}
