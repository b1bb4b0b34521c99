package dev.inferj;

/** What a loaded model is: its name and architecture and the sizes that matter to a user. */
public record ModelInfo(String name, String architecture, int parameterLayers, int embeddingLength,
                        int headCount, int headCountKv, int vocabularySize, int trainedContextLength,
                        int sessionContextLength) {
}
