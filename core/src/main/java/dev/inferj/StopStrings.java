package dev.inferj;

import java.util.List;

/**
 * Watches generated text for stop strings. Text is released as soon as no stop string can begin in
 * it; the end of the text that could still grow into one is held back until the next piece decides.
 * A stop string may span several tokens or begin inside one.
 */
final class StopStrings {
    private final List<String> stops;
    /** Text received but not yet released. */
    private String pending = "";
    private boolean stopped;

    StopStrings(List<String> stops) {
        this.stops = stops;
    }

    /** Adds {@code piece} to the text; returns the part of the text released by it (may be empty). */
    String accept(String piece) {
        if (stopped) {
            throw new IllegalStateException("a stop string was already found");
        }
        if (stops.isEmpty()) {
            return piece;
        }
        pending = pending + piece;
        int at = firstStop();
        if (at >= 0) {
            stopped = true;
            String out = pending.substring(0, at);
            pending = "";
            return out;
        }
        return take(pending.length() - longestSuffixStartingAStop());
    }

    /** Whether a stop string was found: the text ends before it. */
    boolean stopped() {
        return stopped;
    }

    /** At the end of a generation without a stop: the text still held back. */
    String flush() {
        return stopped ? "" : take(pending.length());
    }

    private String take(int length) {
        String out = pending.substring(0, length);
        pending = pending.substring(length);
        return out;
    }

    private int firstStop() {
        int first = -1;
        for (String s : stops) {
            int i = pending.indexOf(s);
            if (i >= 0 && (first < 0 || i < first)) {
                first = i;
            }
        }
        return first;
    }

    /** The length of the longest end of the pending text that is the start of a stop string. */
    private int longestSuffixStartingAStop() {
        int longest = 0;
        int n = pending.length();
        for (String s : stops) {
            for (int length = Math.min(n, s.length() - 1); length > longest; length--) {
                if (pending.regionMatches(n - length, s, 0, length)) {
                    longest = length;
                    break;
                }
            }
        }
        return longest;
    }
}
