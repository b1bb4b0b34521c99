package dev.inferj.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Template source → tokens, with the whitespace rules Hugging Face uses for chat templates
 * ({@code trim_blocks} and {@code lstrip_blocks} on, as in transformers and @huggingface/jinja):
 * <ol>
 *   <li>one trailing newline of the whole template is dropped;</li>
 *   <li>spaces and tabs from the start of a line up to a <code>{%</code> or <code>{#</code> are dropped
 *       (not up to a <code>{{</code>);</li>
 *   <li>the newline right after a <code>%}</code> or <code>#}</code> is dropped;</li>
 *   <li><code>{%-</code>, <code>{{-</code>, <code>{#-</code> drop all whitespace before them in the text,
 *       <code>-%}</code>, <code>-}}</code>, <code>-#}</code> all whitespace after them.</li>
 * </ol>
 * Rules 2 and 3 are applied to the raw source before tokenizing, as @huggingface/jinja does, so
 * they act the same inside and outside tags. {@code {% raw %}} blocks are text. Token offsets point
 * into the original source.
 */
final class Lexer {

    enum Kind { TEXT, COMMENT, BLOCK_BEGIN, BLOCK_END, VAR_BEGIN, VAR_END, NAME, STRING, INTEGER, FLOAT, OPERATOR, EOF }

    record Token(Kind kind, String text, int offset) {
        boolean isOperator(String t) {
            return kind == Kind.OPERATOR && text.equals(t);
        }

        boolean isName(String t) {
            return kind == Kind.NAME && text.equals(t);
        }
    }

    /** Operators and punctuation inside tags, longest first where one is a prefix of another. */
    private static final String[] OPERATORS = {
        "**", "//", "<=", ">=", "==", "!=",
        "(", ")", "{", "}", "[", "]", ",", ".", ":", "|", "<", ">", "+", "-", "~", "*", "/", "%", "=",
    };

    private final String src;      // the preprocessed source
    private final int[] origin;    // origin[i]: offset in the original source of src.charAt(i)
    private final int originalLength;
    private final List<Token> tokens = new ArrayList<>();
    private int pos;
    private int braceDepth;

    private Lexer(String original) {
        this.originalLength = original.length();
        String s = original.endsWith("\n") ? original.substring(0, original.length() - 1) : original;
        int[] map = new int[s.length()];
        for (int i = 0; i < map.length; i++) {
            map[i] = i;
        }
        StringBuilder lstripped = new StringBuilder(s.length());
        int[] map1 = new int[s.length()];
        int n1 = 0;
        int i = 0;
        while (i < s.length()) {
            if (i == 0 || isLineTerminator(s.charAt(i - 1))) {
                int j = i;
                while (j < s.length() && (s.charAt(j) == ' ' || s.charAt(j) == '\t')) {
                    j++;
                }
                if (j > i && j + 1 < s.length() && s.charAt(j) == '{' && "#%-".indexOf(s.charAt(j + 1)) >= 0) {
                    i = j;
                }
            }
            if (i < s.length()) {
                lstripped.append(s.charAt(i));
                map1[n1++] = map[i];
                i++;
            }
        }
        StringBuilder trimmed = new StringBuilder(lstripped.length());
        int[] map2 = new int[lstripped.length()];
        int n2 = 0;
        for (int k = 0; k < lstripped.length(); k++) {
            char c = lstripped.charAt(k);
            if (c == '\n' && k >= 2 && lstripped.charAt(k - 1) == '}' && "#%-".indexOf(lstripped.charAt(k - 2)) >= 0) {
                continue;
            }
            trimmed.append(c);
            map2[n2++] = map1[k];
        }
        this.src = trimmed.toString();
        this.origin = map2;
    }

    /** The tokens of {@code source}, ending with one {@link Kind#EOF}. */
    static List<Token> tokenize(String source) {
        Lexer lexer = new Lexer(source);
        lexer.run();
        return lexer.tokens;
    }

    private static boolean isLineTerminator(char c) {
        return c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029';
    }

    private int originOf(int index) {
        return index < origin.length ? origin[index] : originalLength;
    }

    private TemplateError error(int index, String message) {
        return new TemplateError(message, originOf(index), false);
    }

    private void add(Kind kind, String text, int start) {
        tokens.add(new Token(kind, text, originOf(start)));
    }

    private Kind lastKind() {
        return tokens.isEmpty() ? null : tokens.getLast().kind();
    }

    private boolean startsWith(String s) {
        return src.startsWith(s, pos);
    }

    private void run() {
        int n = src.length();
        while (pos < n) {
            Kind last = lastKind();
            if (last == null || last == Kind.BLOCK_END || last == Kind.VAR_END || last == Kind.COMMENT) {
                int start = pos;
                while (pos < n && !(src.charAt(pos) == '{' && pos + 1 < n && "%{#".indexOf(src.charAt(pos + 1)) >= 0)) {
                    pos++;
                }
                if (pos > start) {
                    add(Kind.TEXT, src.substring(start, pos), start);
                    continue;
                }
            }
            if (startsWith("{#")) {
                comment();
                continue;
            }
            if (startsWith("{%") && raw()) {
                continue;
            }
            if (startsWith("{%-")) {
                stripTrailingWhitespace();
                add(Kind.BLOCK_BEGIN, "{%", pos);
                pos += 3;
                continue;
            }
            if (startsWith("{{-")) {
                stripTrailingWhitespace();
                add(Kind.VAR_BEGIN, "{{", pos);
                braceDepth = 0;
                pos += 3;
                continue;
            }
            while (pos < n && Values.isWhitespace(src.charAt(pos))) {
                pos++;
            }
            if (pos >= n) {
                break;
            }
            if (startsWith("-%}")) {
                add(Kind.BLOCK_END, "%}", pos);
                pos += 3;
                skipWhitespace();
                continue;
            }
            if (startsWith("-}}")) {
                add(Kind.VAR_END, "}}", pos);
                pos += 3;
                skipWhitespace();
                continue;
            }
            if (startsWith("{%")) {
                add(Kind.BLOCK_BEGIN, "{%", pos);
                pos += 2;
                continue;
            }
            if (startsWith("%}")) {
                add(Kind.BLOCK_END, "%}", pos);
                pos += 2;
                continue;
            }
            if (startsWith("{{")) {
                add(Kind.VAR_BEGIN, "{{", pos);
                braceDepth = 0;
                pos += 2;
                continue;
            }
            if (braceDepth == 0 && startsWith("}}")) {
                add(Kind.VAR_END, "}}", pos);
                pos += 2;
                continue;
            }
            char c = src.charAt(pos);
            if (c == '\'' || c == '"') {
                string(c);
            } else if (c >= '0' && c <= '9') {
                number();
            } else if (isWordChar(c)) {
                int start = pos;
                while (pos < n && isWordChar(src.charAt(pos))) {
                    pos++;
                }
                add(Kind.NAME, src.substring(start, pos), start);
            } else {
                operator(c);
            }
        }
        tokens.add(new Token(Kind.EOF, "", originalLength));
    }

    private static boolean isWordChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }

    private void skipWhitespace() {
        while (pos < src.length() && Values.isWhitespace(src.charAt(pos))) {
            pos++;
        }
    }

    /** <code>{%-</code>, <code>{{-</code> and <code>{#-</code>: the text before loses its trailing whitespace. */
    private void stripTrailingWhitespace() {
        if (!tokens.isEmpty() && tokens.getLast().kind() == Kind.TEXT) {
            Token last = tokens.removeLast();
            String text = Values.trimEnd(last.text());
            if (!text.isEmpty()) {
                tokens.add(new Token(Kind.TEXT, text, last.offset()));
            }
        }
    }

    private void comment() {
        int start = pos;
        pos += 2;
        boolean stripBefore = pos < src.length() && src.charAt(pos) == '-';
        if (stripBefore) {
            pos++;
        }
        int end = src.indexOf("#}", pos);
        if (end < 0) {
            throw error(start, "comment opened here is never closed with '#}'");
        }
        boolean stripAfter = end > pos && src.charAt(end - 1) == '-';
        if (stripBefore) {
            stripTrailingWhitespace();
        }
        // A comment token stays in the stream: a following {%- must not strip text before the comment.
        add(Kind.COMMENT, "", start);
        pos = end + 2;
        if (stripAfter) {
            skipWhitespace();
        }
    }

    private static final Pattern RAW_BEGIN = Pattern.compile("\\{%(-?)\\s*raw\\s*(-?)%}");
    private static final Pattern RAW_END = Pattern.compile("\\{%(-?)\\s*endraw\\s*(-?)%}");

    /**
     * {@code {% raw %}...{% endraw %}}: the text between is output as written. Returns false when
     * the tag at {@code pos} is another statement.
     */
    private boolean raw() {
        Matcher begin = RAW_BEGIN.matcher(src).region(pos, src.length());
        if (!begin.lookingAt()) {
            return false;
        }
        Matcher end = RAW_END.matcher(src);
        if (!end.find(begin.end())) {
            throw error(pos, "{% raw %} is never closed with {% endraw %}");
        }
        if (!begin.group(1).isEmpty()) {
            stripTrailingWhitespace();
        }
        String text = src.substring(begin.end(), end.start());
        if (!begin.group(2).isEmpty()) {
            text = Values.trimStart(text);
        }
        if (!end.group(1).isEmpty()) {
            text = Values.trimEnd(text);
        }
        if (!text.isEmpty()) {
            add(Kind.TEXT, text, begin.end());
        }
        // Back to text after the raw block, as after a comment.
        add(Kind.COMMENT, "", end.start());
        pos = end.end();
        if (!end.group(2).isEmpty()) {
            skipWhitespace();
        }
        return true;
    }

    private void string(char quote) {
        int start = pos;
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= src.length()) {
                throw error(start, "string literal is never closed");
            }
            char c = src.charAt(pos);
            if (c == quote) {
                pos++;
                break;
            }
            if (c == '\\' && pos + 1 < src.length()) {
                char e = src.charAt(pos + 1);
                pos += 2;
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'v' -> sb.append('\u000b');
                    case '0' -> sb.append('\0');
                    case '\'', '"', '\\' -> sb.append(e);
                    case '\n' -> { } // a backslash-newline continues the literal, as in Python
                    case 'x', 'u' -> {
                        int len = e == 'x' ? 2 : 4;
                        if (pos + len > src.length()) {
                            throw error(pos - 2, "invalid escape \\" + e + " in string literal");
                        }
                        String hex = src.substring(pos, pos + len);
                        int value;
                        try {
                            value = Integer.parseInt(hex, 16);
                        } catch (NumberFormatException ex) {
                            throw error(pos - 2, "invalid escape \\" + e + hex + " in string literal");
                        }
                        sb.append((char) value);
                        pos += len;
                    }
                    // Python keeps the backslash of an escape it does not know ("\d" is two characters).
                    default -> sb.append('\\').append(e);
                }
                continue;
            }
            sb.append(c);
            pos++;
        }
        add(Kind.STRING, sb.toString(), start);
    }

    private void number() {
        int start = pos;
        int n = src.length();
        while (pos < n && Character.isDigit(src.charAt(pos)) && src.charAt(pos) < 128) {
            pos++;
        }
        boolean afterDot = !tokens.isEmpty() && tokens.getLast().isOperator(".");
        if (!afterDot && pos + 1 < n && src.charAt(pos) == '.' && src.charAt(pos + 1) >= '0' && src.charAt(pos + 1) <= '9') {
            pos++;
            while (pos < n && src.charAt(pos) >= '0' && src.charAt(pos) <= '9') {
                pos++;
            }
            add(Kind.FLOAT, src.substring(start, pos), start);
        } else {
            add(Kind.INTEGER, src.substring(start, pos), start);
        }
    }

    private void operator(char c) {
        for (String op : OPERATORS) {
            if (startsWith(op)) {
                if (op.equals("{")) {
                    braceDepth++;
                } else if (op.equals("}")) {
                    braceDepth--;
                }
                add(Kind.OPERATOR, op, pos);
                pos += op.length();
                return;
            }
        }
        throw error(pos, "unexpected character '" + c + "'");
    }
}
