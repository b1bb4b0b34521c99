package dev.inferj.cli;

import dev.inferj.chat.JsonReader;
import dev.inferj.gguf.GgufFile;
import dev.inferj.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inferj tokenize}: the token ids of a text, for debugging prompts. Only the vocabulary of
 * the file is read, so a vocabulary-only GGUF works as well as a whole model.
 *
 * <p>Standard input is tokenized exactly as it arrives, a final newline included (as llama.cpp's
 * {@code llama-tokenize --stdin} does): use {@code printf '%s'} or {@code --text} for a text
 * without one.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true, description = {
        "Print the token ids of a text (stdin, taken exactly as given, or --text) space-separated on one line.",
        "With --jsonl, each stdin line is a JSON string and gets its own line of ids."})
final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, paramLabel = "FILE",
            description = "GGUF file with a tokenizer (a whole model or a vocabulary-only file).")
    Path model;

    @Option(names = "--text", paramLabel = "T", description = "The text to tokenize instead of stdin.")
    String text;

    @Option(names = "--parse-special",
            description = "Recognize control tokens written in the text (such as <|eot_id|> or <s>) as themselves.")
    boolean parseSpecial;

    @Option(names = "--bos", description = "Add the special tokens the vocabulary asks for "
            + "(BOS when tokenizer.ggml.add_bos_token, EOS when add_eos_token), as llama.cpp does; default: none.")
    boolean addBos;

    @Option(names = "--jsonl", description = "Read stdin as JSON Lines: one JSON string a line, one line of ids each.")
    boolean jsonl;

    @Override
    public Integer call() {
        if (jsonl && text != null) {
            throw new ParameterException(spec.commandLine(), "--jsonl reads stdin: it cannot be combined with --text");
        }
        Tokenizer tokenizer;
        try (GgufFile f = GgufFile.open(model)) {
            tokenizer = Tokenizer.of(f.vocabulary());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (addBos && !tokenizer.vocabulary().addBos()) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("inferj: note: " + model + " does not ask for BOS (tokenizer.ggml.add_bos_token), so none is added");
            err.flush();
        }
        if (!jsonl) {
            printIds(out, tokenizer.encode(text != null ? text : readStdin(), addBos, parseSpecial));
        } else {
            int lineNumber = 0;
            for (String line : readStdin().split("\r?\n", -1)) {
                lineNumber++;
                if (line.isBlank()) {
                    continue; // the end of the last line, or a blank line: JSON Lines has no value there
                }
                printIds(out, tokenizer.encode(jsonString(line, lineNumber), addBos, parseSpecial));
            }
        }
        out.flush();
        return 0;
    }

    private static void printIds(PrintWriter out, int[] ids) {
        StringBuilder line = new StringBuilder(ids.length * 6);
        for (int i = 0; i < ids.length; i++) {
            if (i > 0) {
                line.append(' ');
            }
            line.append(ids[i]);
        }
        out.println(line);
    }

    private static String jsonString(String line, int lineNumber) {
        Object value;
        try {
            value = JsonReader.parse(line);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("stdin line " + lineNumber + ": " + e.getMessage(), e);
        }
        if (!(value instanceof String s)) {
            throw new IllegalArgumentException("stdin line " + lineNumber + ": expected a JSON string, got " + switch (value) {
                case null -> "null";
                case Boolean b -> b.toString();
                case Number _ -> "a number";
                case List<?> _ -> "an array";
                default -> "an object";
            });
        }
        return s;
    }

    /** All of stdin as UTF-8, refusing bytes that are not UTF-8 rather than tokenizing U+FFFD in their place. */
    private static String readStdin() {
        try {
            InputStream in = System.in;
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(in.readAllBytes()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("stdin is not valid UTF-8", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read stdin", e);
        }
    }
}
