package dev.inferj.grammar;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.function.IntFunction;

/**
 * The vocabulary's token texts as a trie of code points, so that a grammar tries each shared
 * prefix once when it finds the tokens it allows. Tokens whose bytes are not whole UTF-8 characters
 * (or are empty) are left out: under a grammar the model writes whole characters. Immutable; one per
 * model, built on first use.
 */
public final class TokenTrie {

    /**
     * A node: its children by code point (ascending), the tokens whose text ends here, and the most
     * code points a token continues below it.
     */
    static final class Node {
        final int[] codePoints;
        final Node[] children;
        final int[] tokens;
        final int height;

        Node(int[] codePoints, Node[] children, int[] tokens) {
            this.codePoints = codePoints;
            this.children = children;
            this.tokens = tokens;
            int h = 0;
            for (Node c : children) {
                h = Math.max(h, c.height + 1);
            }
            this.height = h;
        }
    }

    final Node root;
    /** Each token's code points, or null for a token left out. */
    final int[][] texts;

    /** @param pieceBytes the bytes token {@code id} stands for when generated */
    public TokenTrie(int vocabularySize, IntFunction<byte[]> pieceBytes) {
        texts = new int[vocabularySize][];
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        Building top = new Building();
        for (int id = 0; id < vocabularySize; id++) {
            byte[] bytes = pieceBytes.apply(id);
            if (bytes.length == 0) {
                continue;
            }
            try {
                texts[id] = decoder.decode(ByteBuffer.wrap(bytes)).codePoints().toArray();
            } catch (CharacterCodingException e) {
                continue; // part of a character
            }
            Building n = top;
            for (int cp : texts[id]) {
                n = n.children.computeIfAbsent(cp, k -> new Building());
            }
            n.tokens.add(id);
        }
        root = top.freeze();
    }

    /** The code points of token {@code id}, or null when it is not whole characters. */
    int[] text(int id) {
        return texts[id];
    }

    private static final class Building {
        final TreeMap<Integer, Building> children = new TreeMap<>();
        final List<Integer> tokens = new ArrayList<>(1);

        Node freeze() {
            int[] cps = children.keySet().stream().mapToInt(Integer::intValue).toArray();
            Node[] nodes = children.values().stream().map(Building::freeze).toArray(Node[]::new);
            int[] ids = tokens.stream().mapToInt(Integer::intValue).toArray();
            return new Node(cps, nodes, ids.length == 0 ? EMPTY : ids);
        }
    }

    private static final int[] EMPTY = new int[0];

    @Override
    public String toString() {
        return "TokenTrie[" + Arrays.stream(texts).filter(t -> t != null).count() + " tokens]";
    }
}
