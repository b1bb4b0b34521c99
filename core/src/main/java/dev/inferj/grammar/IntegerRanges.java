package dev.inferj.grammar;

import java.util.ArrayList;
import java.util.List;

/** GBNF for the decimal integers in {@code [low, high]}, written without leading zeros (and "0", never "-0"). */
final class IntegerRanges {
    private IntegerRanges() {
    }

    static String toGbnf(long low, long high) {
        List<String> options = new ArrayList<>();
        if (low < 0) {
            long negHigh = Math.min(high, -1);
            options.add("\"-\" " + nonNegative(-negHigh, -low));
        }
        if (high >= 0) {
            options.add(nonNegative(Math.max(low, 0), high));
        }
        return "(" + String.join(" | ", options) + ")";
    }

    /** {@code [low, high]} with {@code 0 <= low <= high}: split by number of digits. */
    private static String nonNegative(long low, long high) {
        List<String> options = new ArrayList<>();
        String lo = Long.toString(low);
        String hi = Long.toString(high);
        for (int digits = lo.length(); digits <= hi.length(); digits++) {
            String from = digits == lo.length() ? lo : "1" + "0".repeat(digits - 1);
            String to = digits == hi.length() ? hi : "9".repeat(digits);
            options.add(sameLength(from, to));
        }
        return "(" + String.join(" | ", options) + ")";
    }

    /** Digit strings of one length from {@code a} to {@code b} (leading zeros allowed past the first digit). */
    private static String sameLength(String a, String b) {
        if (a.isEmpty()) {
            return "\"\"";
        }
        if (a.equals(b)) {
            return "\"" + a + "\"";
        }
        char fa = a.charAt(0);
        char fb = b.charAt(0);
        String restA = a.substring(1);
        String restB = b.substring(1);
        if (fa == fb) {
            return "\"" + fa + "\" " + sameLength(restA, restB);
        }
        if (restA.isEmpty()) {
            return "[" + fa + "-" + fb + "]";
        }
        List<String> options = new ArrayList<>();
        String nines = "9".repeat(restA.length());
        String zeros = "0".repeat(restA.length());
        char firstFull = fa;
        if (!restA.equals(zeros)) {
            options.add("\"" + fa + "\" " + sameLength(restA, nines));
            firstFull++;
        }
        char lastFull = fb;
        boolean bFull = restB.equals(nines);
        if (!bFull) {
            lastFull--;
        }
        if (firstFull <= lastFull) {
            options.add("[" + firstFull + "-" + lastFull + "] [0-9]{" + restA.length() + "}");
        }
        if (!bFull) {
            options.add("\"" + fb + "\" " + sameLength(zeros, restB));
        }
        return "(" + String.join(" | ", options) + ")";
    }
}
