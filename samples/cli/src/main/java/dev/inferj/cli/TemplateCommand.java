package dev.inferj.cli;

import dev.inferj.InferjException;
import dev.inferj.Model;
import dev.inferj.chat.ChatTemplate;
import dev.inferj.chat.ChatTemplateException;
import dev.inferj.chat.JsonReader;
import dev.inferj.gguf.GgufFile;
import dev.inferj.tokenizer.Vocabulary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code inferj template}: renders a conversation with a chat template, for debugging prompts.
 *
 * <p>The output is the rendered prompt and nothing else: no newline is added at the end, because
 * the reference renderings (Hugging Face's, as in {@code shared/chat/cases}) end wherever the
 * template ends, usually without one, and a newline there would be a token the model never sees.
 * So {@code inferj template ... | inferj tokenize --model M --parse-special} gives exactly the
 * prompt's ids.
 *
 * <p>The template sees what Hugging Face passes: {@code messages} (the JSON objects of the
 * messages file, as they are: {@code role}, {@code content}, {@code tool_calls}, ...),
 * {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}, and {@code tools} only
 * when a tools file is given. When the template calls {@code raise_exception}, the command exits
 * with 1 and its message, exactly, on stderr.
 */
@Command(name = "template", mixinStandardHelpOptions = true, description = {
        "Render a conversation (a JSON array of messages) with a model's chat template or a Jinja file.",
        "Prints the prompt exactly as rendered, without a newline added at the end."})
final class TemplateCommand implements Callable<Integer> {
    /** Where GGUF files keep the chat template. */

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    /** Where the template comes from: a model file or a Jinja file. */
    static final class Source {
        @Option(names = {"-m", "--model"}, paramLabel = "FILE",
                description = "GGUF file: its tokenizer.chat_template, with its BOS and EOS token texts.")
        Path model;

        @Option(names = "--template", paramLabel = "FILE.jinja", description = "A Jinja chat template file.")
        Path template;
    }

    @Option(names = "--messages", required = true, paramLabel = "FILE.json",
            description = "The conversation: a JSON array of message objects (role, content, tool_calls, ...).")
    Path messages;

    @Option(names = "--tools", paramLabel = "FILE.json",
            description = "Tool definitions, a JSON array, passed as `tools` (default: undefined).")
    Path tools;

    @Option(names = "--add-generation-prompt", description = "End with the opening of the assistant's turn.")
    boolean addGenerationPrompt;

    @Option(names = "--bos", paramLabel = "S", description = "bos_token (default: the model's BOS text, or empty).")
    String bos;

    @Option(names = "--eos", paramLabel = "S", description = "eos_token (default: the model's EOS text, or empty).")
    String eos;

    @Option(names = "--date", paramLabel = "YYYY-MM-DD", description = "The date strftime_now sees (default: today).")
    LocalDate date;

    @Override
    public Integer call() {
        String templateText;
        String where;
        String bosToken = "";
        String eosToken = "";
        if (source.model != null) {
            where = source.model + " " + Model.CHAT_TEMPLATE_KEY;
            try (GgufFile f = GgufFile.open(source.model)) {
                templateText = f.getString(Model.CHAT_TEMPLATE_KEY, null);
                if (templateText == null) {
                    throw new InferjException(source.model + " has no chat template (" + Model.CHAT_TEMPLATE_KEY
                            + "); give one with --template");
                }
                if (bos == null || eos == null) {
                    Vocabulary v = f.vocabulary();
                    bosToken = v.bosId() >= 0 ? v.tokens()[v.bosId()] : "";
                    eosToken = v.eosId() >= 0 ? v.tokens()[v.eosId()] : "";
                }
            }
        } else {
            where = source.template.toString();
            templateText = read(source.template);
        }

        Map<String, Object> variables = new LinkedHashMap<>();
        variables.put("messages", messageList(messages));
        variables.put("add_generation_prompt", addGenerationPrompt);
        variables.put("bos_token", bos != null ? bos : bosToken);
        variables.put("eos_token", eos != null ? eos : eosToken);
        if (tools != null) {
            variables.put("tools", jsonArray(tools, "tool definitions"));
        }

        String prompt;
        try {
            prompt = ChatTemplate.parse(templateText).render(variables, date == null ? null : date.atStartOfDay());
        } catch (ChatTemplateException e) {
            if (e.raisedByTemplate()) {
                throw e; // the template refused the conversation: its own message, as it is
            }
            throw new InferjException(where + ": " + e.getMessage(), e);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(prompt);
        out.flush();
        return 0;
    }

    private static List<?> messageList(Path file) {
        List<?> list = jsonArray(file, "messages");
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map)) {
                throw new InferjException(file + ": message " + i + " is not a JSON object");
            }
        }
        return list;
    }

    private static List<?> jsonArray(Path file, String what) {
        Object value;
        try {
            value = JsonReader.parse(read(file));
        } catch (IllegalArgumentException e) {
            throw new InferjException(file + ": not JSON: " + e.getMessage(), e);
        }
        if (!(value instanceof List<?> list)) {
            throw new InferjException(file + ": expected a JSON array of " + what);
        }
        return list;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InferjException(file + ": no such file", e);
        } catch (CharacterCodingException e) {
            throw new InferjException(file + ": not valid UTF-8", e);
        } catch (IOException e) {
            throw new InferjException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
