package dev.inferj;

import dev.inferj.chat.ChatTemplate;
import dev.inferj.chat.ChatTemplateOptions;
import dev.inferj.gguf.GgufFile;
import dev.inferj.grammar.TokenTrie;
import dev.inferj.kernels.KernelWarmUp;
import dev.inferj.kernels.Kernels;
import dev.inferj.kernels.WorkerPool;
import dev.inferj.model.TileCache;
import dev.inferj.model.TransformerWeights;
import dev.inferj.model.ModelConfig;
import dev.inferj.model.OffHeap;
import dev.inferj.model.VocabularyLoader;
import dev.inferj.tokenizer.Tokenizer;
import dev.inferj.tokenizer.Vocabulary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

/**
 * A language model loaded from a GGUF file. Loading maps the file; the weights stay in the
 * mapping and are never copied. A model is immutable and thread-safe: any number of
 * {@link Session}s, each with its own KV cache, can share it. Close it to unmap the file,
 * after its sessions.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("model.gguf"));
 *      Session session = model.newSession()) {
 *     System.out.println(session.generate("Once upon a time", GenerateOptions.greedy()).text());
 * }
 * }</pre>
 */
public final class Model implements AutoCloseable {
    private final GgufFile file;
    /** Owns the tiled copies of the weights; null when they are not tiled. */
    private final Arena tileArena;
    private final ModelConfig config;
    private final TransformerWeights weights;
    private final Tokenizer tokenizer;
    /** The ids of the tokens that end a generation, ascending. */
    private final int[] endOfGeneration;
    private final GenerateOptions generateDefaults;
    /** The vocabulary as a trie, for grammars: built on first use. */
    private volatile TokenTrie tokenTrie;
    private volatile byte[] fingerprint;
    private final WorkerPool pool;
    private final int sessionContextLength;
    private final String chatTemplateSource;
    /** The sessions not closed yet, closed with the model. */
    private final java.util.Set<Session> sessions = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    /** See {@link #longestPieceBytes()}; 0 until computed. */
    private volatile int longestPiece;
    private final java.util.concurrent.atomic.AtomicBoolean warnedLongContext = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.CopyOnWriteArrayList<LoraAdapter> adapters = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile ChatTemplate chatTemplate;
    private final LoadTimings loadTimings;

    private Model(GgufFile file, Arena tileArena, TileCache tileCache, ModelOptions options, long started, long mapped) {
        this.file = file;
        this.tileArena = tileArena;
        this.tokenizer = Tokenizer.of(VocabularyLoader.fromGguf(file));
        this.endOfGeneration = VocabularyLoader.endOfGenerationIds(file, tokenizer.vocabulary());
        this.generateDefaults = SamplingDefaults.fromGguf(file);
        this.config = ModelConfig.fromGguf(file, tokenizer.vocabularySize());
        long read = System.nanoTime();
        this.weights = TransformerWeights.fromGguf(file, config, tileArena, tileCache);
        long loaded = System.nanoTime();
        this.sessionContextLength = options.contextLength() > 0
                ? options.contextLength()
                : Math.min(config.contextLength(), ModelOptions.DEFAULT_CONTEXT_CAP);
        this.chatTemplateSource = file.getString(CHAT_TEMPLATE_KEY, null);
        this.pool = new WorkerPool(options.threads()); // last: a load that fails before it leaves no threads behind
        this.loadTimings = new LoadTimings(mapped - started, read - mapped, loaded - read, System.nanoTime() - started);
    }

    /** Where GGUF files keep the model's Jinja chat template. */
    public static final String CHAT_TEMPLATE_KEY = "tokenizer.chat_template";

    /** Loads a model with the default options. */
    public static Model load(Path path) {
        return load(path, ModelOptions.defaults());
    }

    /**
     * Maps {@code path} and reads the model it holds.
     *
     * @throws GgufFormatException        when the file is not well-formed GGUF
     * @throws UnsupportedModelException  when it holds a model inferj cannot run
     * @throws InferjException            when it cannot be read
     */
    public static Model load(Path path, ModelOptions options) {
        long started = System.nanoTime();
        GgufFile file = GgufFile.open(path);
        long mapped = System.nanoTime();
        Arena tileArena = options.tileWeights() ? OffHeap.sharedArena() : null;
        try {
            TileCache tileCache = tileArena != null && options.tileCache() != null
                    ? TileCache.of(path, options.tileCache()) : null;
            return new Model(file, tileArena, tileCache, options, started, mapped);
        } catch (RuntimeException | Error e) {
            if (tileArena != null) {
                tileArena.close();
            }
            file.close();
            throw e;
        }
    }

    /** A new session with an empty context of the model's length and an F16 KV cache. */
    public Session newSession() {
        return newSession(SessionOptions.defaults());
    }

    /**
     * A new session with an empty context as {@code options} say.
     *
     * @throws IllegalArgumentException when the model cannot have that cache (Q8_0 with heads whose width is not a
     *                                  multiple of 32)
     */
    public Session newSession(SessionOptions options) {
        int contextLength = options.contextLength() > 0 ? options.contextLength() : sessionContextLength;
        if (contextLength > config.contextLength() && !warnedLongContext.getAndSet(true)) {
            System.getLogger("dev.inferj").log(System.Logger.Level.WARNING, "sessions of {0} positions on {1}, trained for {2}:"
                    + " past {2} its outputs may degrade", contextLength, info().name(), config.contextLength());
        }
        synchronized (sessions) {
            ensureOpen();
            Session s = new Session(this, config, weights, pool, contextLength, options.cacheType());
            sessions.add(s);
            return s;
        }
    }

    /** The most bytes any token's text has (at least 1): a bound on how much text one token can cover. */
    int longestPieceBytes() {
        int longest = longestPiece;
        if (longest == 0) {
            for (int id = 0; id < config.vocabularySize(); id++) {
                longest = Math.max(longest, tokenizer.pieceBytes(id).length);
            }
            longestPiece = longest = Math.max(1, longest);
        }
        return longest;
    }

    /** Called by a session that closes, so that {@link #close()} need not close it again. */
    void sessionClosed(Session s) {
        sessions.remove(s);
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return closed;
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the model is closed");
        }
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Whether {@code id} ends a generation (EOS, EOT, {@code <|im_end|>} and the like, as llama.cpp decides). */
    public boolean isEndOfGeneration(int id) {
        return Arrays.binarySearch(endOfGeneration, id) >= 0;
    }

    /**
     * What identifies the model file for saved sessions: a SHA-256 of its header (metadata and tensor
     * list) and of the first and last 64 KiB of its tensor data.
     */
    byte[] fingerprint() {
        byte[] f = fingerprint;
        if (f == null) {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                MemorySegment all = file.contents();
                long dataStart = file.dataStart();
                long dataBytes = all.byteSize() - dataStart;
                sha.update(all.asSlice(0, dataStart).asByteBuffer());
                sha.update(all.asSlice(dataStart, Math.min(65536, dataBytes)).asByteBuffer());
                sha.update(all.asSlice(all.byteSize() - Math.min(65536, dataBytes)).asByteBuffer());
                f = sha.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-256", e);
            }
            fingerprint = f;
        }
        return f;
    }

    /** The vocabulary's token texts as a trie, for constrained decoding; built once, on first use. */
    TokenTrie tokenTrie() {
        TokenTrie t = tokenTrie;
        if (t == null) {
            synchronized (this) {
                t = tokenTrie;
                if (t == null) {
                    t = new TokenTrie(config.vocabularySize(), id -> tokenizer.vocabulary().tokenType(id) == Vocabulary.CONTROL
                            ? new byte[0] : tokenizer.pieceBytes(id));
                    tokenTrie = t;
                }
            }
        }
        return t;
    }

    /**
     * {@link GenerateOptions#defaults()} with the sampling values the file recommends, where it has them
     * ({@code general.sampling.temp}, {@code top_k}, {@code top_p}, {@code min_p}, {@code xtc_probability},
     * {@code xtc_threshold}, {@code penalty_last_n}, {@code penalty_repeat}), and a fresh random seed.
     */
    public GenerateOptions generateDefaults() {
        return generateDefaults.withSeed(System.nanoTime());
    }

    public ModelInfo info() {
        return new ModelInfo(file.getString("general.name", file.source()), config.architecture().ggufName(), config.blockCount(),
                config.embeddingLength(), config.headCount(), config.headCountKv(), config.vocabularySize(),
                config.contextLength(), sessionContextLength);
    }

    /** Whether the file carries a chat template ({@code tokenizer.chat_template}), which {@link Session#chat} needs. */
    public boolean hasChatTemplate() {
        return chatTemplateSource != null;
    }

    /**
     * The tokens of a conversation as {@link Session#chat} feeds them: {@link #renderChat} tokenized with its
     * special tokens parsed as such, and a BOS token first where the vocabulary asks for one and the template
     * did not write it.
     *
     * @throws InferjException when the model has no template, or the template raises an error
     */
    public int[] encodeChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return encodeChat(messages, null, addGenerationPrompt);
    }

    /** Like {@link #encodeChat(List, boolean)}, showing the model {@code tools} (null: none). */
    public int[] encodeChat(List<ChatMessage> messages, Tools tools, boolean addGenerationPrompt) {
        int[] ids = tokenizer.encode(renderChat(messages, tools, addGenerationPrompt), false, true);
        Vocabulary v = tokenizer.vocabulary();
        if (v.addBos() && v.bosId() >= 0 && (ids.length == 0 || ids[0] != v.bosId())) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = v.bosId();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos; // templates usually write BOS themselves; add it only when they do not
        }
        return ids;
    }

    /**
     * Renders a conversation with the model's own chat template, as the model was trained to read
     * it, with the vocabulary's BOS and EOS texts; {@code addGenerationPrompt} appends the opening
     * of the assistant's turn.
     *
     * @throws InferjException when the model has no template, or the template raises an error
     */
    public String renderChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return renderChat(messages, null, addGenerationPrompt);
    }

    /** Like {@link #renderChat(List, boolean)}, showing the model {@code tools} (null: none) as its template does. */
    public String renderChat(List<ChatMessage> messages, Tools tools, boolean addGenerationPrompt) {
        Vocabulary v = tokenizer.vocabulary();
        ChatTemplateOptions options = ChatTemplateOptions.defaults()
                .withAddGenerationPrompt(addGenerationPrompt)
                .withBosToken(v.bosId() >= 0 ? v.tokens()[v.bosId()] : "")
                .withEosToken(v.eosId() >= 0 ? v.tokens()[v.eosId()] : "");
        if (tools != null) {
            options = options.withTools(tools.functions().stream().map(Tool::forTemplate).toList());
        }
        return chatTemplate().render(messages, options);
    }

    /**
     * How the chat template has the model write tool calls.
     *
     * @throws InferjException when the model has no template, or one that shows no tool-call format inferj knows
     */
    ToolCallFormat toolCallFormat() {
        if (chatTemplateSource == null) {
            throw new InferjException("the model has no chat template (tokenizer.chat_template), so no tool calls");
        }
        ToolCallFormat format = ToolCallFormat.of(chatTemplateSource);
        if (format == null) {
            throw new InferjException("the model's chat template shows no tool-call format inferj reads (Hermes/Qwen "
                    + "<tool_call>, Mistral [TOOL_CALLS], Llama 3.x JSON)");
        }
        return format;
    }

    private ChatTemplate chatTemplate() {
        if (chatTemplateSource == null) {
            throw new InferjException(file.source() + ": the model has no chat template (" + CHAT_TEMPLATE_KEY + ")");
        }
        ChatTemplate t = chatTemplate;
        if (t == null) {
            t = ChatTemplate.parse(chatTemplateSource);
            chatTemplate = t;
        }
        return t;
    }

    /** Where the load spent its time. */
    public LoadTimings loadTimings() {
        return loadTimings;
    }

    /**
     * How long this JVM's latest kernel warm-up took (it starts with a load and runs beside the first prompt), or empty
     * while it runs.
     */
    public static OptionalLong kernelWarmUpNanos() {
        return KernelWarmUp.lastDurationNanos();
    }

    /** The kernels doing the arithmetic ("scalar", "vector-512", ...). */
    public String kernels() {
        return Kernels.get().name();
    }

    /**
     * Loads a LoRA adapter for this model, shared by every session that applies it ({@link Session#setAdapters});
     * it is closed with the model.
     *
     * @throws InferjException naming the file and tensor when it is not a LoRA adapter of this model (another
     *                         architecture, a tensor this model lacks, a shape or type that does not fit, a
     *                         non-finite value, a truncated file)
     */
    public LoraAdapter loadAdapter(Path path) {
        ensureOpen();
        LoraAdapter adapter = LoraAdapter.load(this, path, config.architecture().ggufName(), weights.adaptable());
        adapters.add(adapter);
        return adapter;
    }

    /**
     * Frees the model: running generations on its sessions are cancelled (their callers get what was generated
     * so far), each session waits for its current step and is closed, then the weights, threads and file go.
     * Calling it again does nothing; any later call on the model or its sessions throws IllegalStateException.
     */
    @Override
    public void close() {
        List<Session> open;
        synchronized (sessions) {
            if (closed) {
                return;
            }
            closed = true;
            open = List.copyOf(sessions);
        }
        open.forEach(Session::close);
        adapters.forEach(LoraAdapter::close);
        pool.close();
        if (tileArena != null) {
            tileArena.close();
        }
        file.close();
    }
}
