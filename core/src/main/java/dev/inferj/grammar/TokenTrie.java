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

    // the trie in flat arrays, node 0 the root; the children of a node are consecutive (breadth-first
    // numbering), so that a walk reads memory in order instead of chasing one object per node

    /** The code point that leads to each node. */
    final int[] codePoint;
    /** Each node's first child; its children are {@code [firstChild, firstChild + childCount)}. */
    final int[] firstChild;
    final int[] childCount;
    /** The tokens whose text ends at each node: {@code tokenIds[firstToken, firstToken + tokenCount)}. */
    final int[] firstToken;
    final int[] tokenCount;
    final int[] tokenIds;
    /** The most code points a token continues below each node. */
    final int[] height;
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
        List<Building> order = new ArrayList<>();
        order.add(top);
        for (int i = 0; i < order.size(); i++) {
            order.addAll(order.get(i).children.values());
        }
        int nodes = order.size();
        codePoint = new int[nodes];
        firstChild = new int[nodes];
        childCount = new int[nodes];
        firstToken = new int[nodes];
        tokenCount = new int[nodes];
        height = new int[nodes];
        tokenIds = new int[order.stream().mapToInt(n -> n.tokens.size()).sum()];
        int[] parent = new int[nodes];
        int nextChild = 1;
        int nextToken = 0;
        for (int i = 0; i < nodes; i++) {
            Building n = order.get(i);
            firstChild[i] = nextChild;
            childCount[i] = n.children.size();
            for (int cp : n.children.keySet()) {
                parent[nextChild] = i;
                codePoint[nextChild++] = cp;
            }
            firstToken[i] = nextToken;
            tokenCount[i] = n.tokens.size();
            for (int id : n.tokens) {
                tokenIds[nextToken++] = id;
            }
        }
        for (int i = nodes - 1; i > 0; i--) { // children come after their parent
            height[parent[i]] = Math.max(height[parent[i]], height[i] + 1);
        }
    }

    /** The code points of token {@code id}, or null when it is not whole characters. */
    int[] text(int id) {
        return texts[id];
    }

    private static final class Building {
        final TreeMap<Integer, Building> children = new TreeMap<>();
        final List<Integer> tokens = new ArrayList<>(1);
    }

    @Override
    public String toString() {
        return "TokenTrie[" + Arrays.stream(texts).filter(t -> t != null).count() + " tokens]";
    }
}
