package dev.inferj.cli;

import dev.inferj.ContextFullException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code inferj} command line. */
@Command(name = "inferj", mixinStandardHelpOptions = true, version = "inferj 0.1.0",
        description = "Run GGUF language models in the JVM.",
        subcommands = {GenerateCommand.class, ChatCommand.class, InspectCommand.class, ForgeCommand.class, QuantizeCommand.class,
                BenchCommand.class, TokenizeCommand.class, TemplateCommand.class, ServeCommand.class, LoraCommand.class})
public final class Main {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean verboseErrors;

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        System.exit(run(out, err, args));
    }

    /** Runs the command line with the given streams and returns its exit code (tests call this). */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main()).setOut(out).setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter stderr = commandLine.getErr();
            if (verbose(parseResult)) {
                e.printStackTrace(stderr);
            } else {
                String hint = e instanceof ContextFullException ? " (-c sets a longer context)" : "";
                stderr.println("inferj: " + oneLine(e) + hint);
            }
            stderr.flush();
            return 1;
        });
        return cli.execute(args);
    }

    private static boolean verbose(CommandLine.ParseResult result) {
        for (CommandLine.ParseResult r = result; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            message = e.getClass().getSimpleName();
        }
        return message.replace('\n', ' ');
    }
}
