package dev.mixtape.cli;

import java.util.ArrayList;
import java.util.List;

/** The {@code ./mixtape} commands in a Markdown file's bash blocks, and their words as a shell would split them (for tests). */
final class ShellExamples {
    private ShellExamples() {
    }

    /** Each {@code ./mixtape ...} or {@code mixtape ...} command in {@code bash} code blocks, continuation lines joined, comments dropped. */
    static List<String> mixtapeCommands(String markdown) {
        List<String> commands = new ArrayList<>();
        boolean inBash = false;
        StringBuilder pending = null;
        for (String line : markdown.lines().toList()) {
            if (line.startsWith("```")) {
                inBash = line.equals("```bash");
                continue;
            }
            if (!inBash) {
                continue;
            }
            String code = withoutComment(line).strip();
            if (pending != null) {
                pending.append(' ').append(code);
            } else if (code.startsWith("./mixtape ") || code.startsWith("mixtape ") || code.equals("./mixtape")) {
                pending = new StringBuilder(code);
            } else {
                continue;
            }
            if (pending.toString().endsWith("\\")) {
                pending.setLength(pending.length() - 1);
            } else {
                commands.add(pending.toString().strip());
                pending = null;
            }
        }
        return commands;
    }

    /** {@code command} split into words: single, double and {@code $'...'} quotes (with \n), backslash escapes. */
    static List<String> words(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                continue;
            }
            if (word == null) {
                word = new StringBuilder();
            }
            if (c == '$' && i + 1 < command.length() && command.charAt(i + 1) == '\'') {
                int end = command.indexOf('\'', i + 2);
                word.append(command.substring(i + 2, end).replace("\\n", "\n"));
                i = end;
            } else if (c == '\'' || c == '"') {
                int end = command.indexOf(c, i + 1);
                word.append(command, i + 1, end);
                i = end;
            } else if (c == '\\' && i + 1 < command.length()) {
                word.append(command.charAt(++i));
            } else {
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    private static String withoutComment(String line) {
        boolean single = false;
        boolean dbl = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\'' && !dbl) {
                single = !single;
            } else if (c == '"' && !single) {
                dbl = !dbl;
            } else if (c == '#' && !single && !dbl && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }
}
