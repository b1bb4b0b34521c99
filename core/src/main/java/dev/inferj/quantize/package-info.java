/**
 * Quantizing GGUF models as llama.cpp's {@code llama-quantize} does, to the same bytes:
 * {@link dev.inferj.quantize.ModelQuantizer} writes a file, {@link dev.inferj.quantize.QuantizationMix}
 * names the mixes and their {@code general.file_type} numbers, {@link dev.inferj.quantize.TensorTypeRules}
 * chooses each tensor's type.
 */
package dev.inferj.quantize;
