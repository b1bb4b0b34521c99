package dev.inferj.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Function;

/**
 * The output bytes of every token, rendered once and packed into one array: piece {@code id}
 * is {@code bytes[offsets[id], offsets[id + 1])}.
 */
final class PieceTable {
    private final byte[] bytes;
    private final int[] offsets;

    private PieceTable(byte[] bytes, int[] offsets) {
        this.bytes = bytes;
        this.offsets = offsets;
    }

    /**
     * Pieces rendered as llama.cpp renders SentencePiece tokens for output (its
     * {@code token_to_piece} with {@code special = false}): control, unknown, unused and
     * undefined tokens are empty, user-defined tokens are their text, normal tokens their text
     * with U+2581 as a space, byte tokens their byte.
     */
    static PieceTable sentencePiece(String[] texts, int[] types) {
        return render(texts, types, text -> text.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Pieces rendered as llama.cpp renders byte-level BPE tokens for output: as
     * {@link #sentencePiece}, except that a normal token's characters are read back as the bytes
     * they stand for ({@link ByteEncoding}). A character that stands for no byte is rendered, as
     * llama.cpp does, as {@code [UNK_BYTE_0x<its UTF-8 in hex><the token's text>]}.
     */
    static PieceTable byteLevel(String[] texts, int[] types) {
        return render(texts, types, PieceTable::byteLevelBytes);
    }

    private static PieceTable render(String[] texts, int[] types, Function<String, byte[]> normal) {
        byte[][] pieces = new byte[texts.length][];
        for (int id = 0; id < texts.length; id++) {
            pieces[id] = switch (types[id]) {
                case Vocabulary.NORMAL -> normal.apply(texts[id]);
                case Vocabulary.USER_DEFINED -> texts[id].getBytes(StandardCharsets.UTF_8);
                case Vocabulary.BYTE -> new byte[] {(byte) Vocabulary.byteValue(texts[id])};
                default -> new byte[0];
            };
        }
        return pack(pieces);
    }

    private static byte[] byteLevelBytes(String text) {
        byte[] bytes = new byte[text.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = ByteEncoding.byteOf(text.charAt(i));
            if (b < 0) {
                return byteLevelBytesWithUnknown(text);
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }

    private static byte[] byteLevelBytesWithUnknown(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length());
        byte[] utf8 = new byte[4];
        text.codePoints().forEach(cp -> {
            int b = ByteEncoding.byteOf(cp);
            if (b >= 0) {
                out.write(b);
            } else {
                StringBuilder sb = new StringBuilder("[UNK_BYTE_0x");
                int n = Utf8.encode(cp, utf8, 0);
                for (int k = 0; k < n; k++) {
                    sb.append(String.format("%02x", utf8[k] & 0xFF));
                }
                out.writeBytes(sb.append(text).append(']').toString().getBytes(StandardCharsets.UTF_8));
            }
        });
        return out.toByteArray();
    }

    private static PieceTable pack(byte[][] pieces) {
        int n = pieces.length;
        int total = 0;
        for (byte[] piece : pieces) {
            total = Math.addExact(total, piece.length);
        }
        byte[] bytes = new byte[total];
        int[] offsets = new int[n + 1];
        int at = 0;
        for (int id = 0; id < n; id++) {
            offsets[id] = at;
            System.arraycopy(pieces[id], 0, bytes, at, pieces[id].length);
            at += pieces[id].length;
        }
        offsets[n] = at;
        return new PieceTable(bytes, offsets);
    }

    int size() {
        return offsets.length - 1;
    }

    byte[] copy(int id) {
        check(id);
        return Arrays.copyOfRange(bytes, offsets[id], offsets[id + 1]);
    }

    /** Appends piece {@code id} to {@code buf[length..]}, growing it when needed; returns the (possibly new) buffer. */
    byte[] appendTo(int id, byte[] buf, int length) {
        check(id);
        int start = offsets[id];
        int n = offsets[id + 1] - start;
        if (length + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, length + n));
        }
        System.arraycopy(bytes, start, buf, length, n);
        return buf;
    }

    int length(int id) {
        check(id);
        return offsets[id + 1] - offsets[id];
    }

    String decode(int[] ids) {
        int total = 0;
        for (int id : ids) {
            total += length(id);
        }
        byte[] buf = new byte[total];
        int at = 0;
        for (int id : ids) {
            int start = offsets[id];
            int n = offsets[id + 1] - start;
            System.arraycopy(bytes, start, buf, at, n);
            at += n;
        }
        StringBuilder sb = new StringBuilder(total);
        Utf8.decode(buf, 0, total, true, sb);
        return sb.toString();
    }

    private void check(int id) {
        if (id < 0 || id >= offsets.length - 1) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + (offsets.length - 1) + ")");
        }
    }
}
