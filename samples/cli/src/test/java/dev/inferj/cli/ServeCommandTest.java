package dev.inferj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.inferj.SharedData;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code inferj serve} in a process of its own: it answers, and SIGTERM stops it promptly, mid-generation too. */
class ServeCommandTest {

    @Test
    void servesUntilSigtermThenExitsWithinSeconds() throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "serve", "-m", SharedData.model("stories260K.gguf").toString(), "--port", "0", "-c", "128"));
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            int port = port(p);
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> completion = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once upon a time\", \"max_tokens\": 8, \"temperature\": 0}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, completion.statusCode(), completion.body());
            assertTrue(completion.body().contains("\"text\":\", there was a little girl\""), completion.body());
            // a generation under way when the signal comes
            http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"Once\", \"max_tokens\": 100000, \"stream\": true}"))
                    .build(), HttpResponse.BodyHandlers.discarding());
            Thread.sleep(300);
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "still running 10 s after SIGTERM");
            assertThrows(ConnectException.class, () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .build(), HttpResponse.BodyHandlers.ofString()));
        } finally {
            p.destroyForcibly();
        }
    }

    /** The port from the line the server prints on stderr once it listens. */
    private static int port(Process p) throws IOException {
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        Pattern listening = Pattern.compile("serving .* on http://127\\.0\\.0\\.1:(\\d+)");
        StringBuilder seen = new StringBuilder();
        for (String line = err.readLine(); line != null; line = err.readLine()) {
            seen.append(line).append('\n');
            Matcher m = listening.matcher(line);
            if (m.find()) {
                Thread.ofVirtual().start(() -> err.lines().forEach(l -> { })); // keep draining
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("the server never said it listens:\n" + seen);
    }
}
