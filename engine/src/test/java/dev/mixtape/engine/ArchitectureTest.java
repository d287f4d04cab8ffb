package dev.mixtape.engine;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The package rules of {@code docs/ARCHITECTURE.md} hold for the main sources of every module: the
 * test reads the rules table from the document itself, so the map and the code cannot drift apart.
 * A package missing from the table, an import (or fully qualified name) of a package its row does not
 * allow, or a cycle among the packages as they actually depend on each other fails it, naming the
 * file and the package at fault.
 */
class ArchitectureTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final Path DOCUMENT = ROOT.resolve("docs/ARCHITECTURE.md");
    /** A row of the rules table: {@code | `package` | `allowed`, `allowed.*` |} ("—" for none). */
    private static final Pattern RULE = Pattern.compile("^\\|\\s*`(dev\\.mixtape[a-z0-9.]*(?:\\.\\*)?)`\\s*\\|([^|]*)\\|");
    private static final Pattern NAME = Pattern.compile("`(dev\\.mixtape[a-z0-9.]*(?:\\.\\*)?)`");
    /** A reference to another Mixtape package: {@code dev.mixtape.x.y.Type}, in an import or in code. */
    private static final Pattern REFERENCE = Pattern.compile("\\bdev\\.mixtape\\.([a-z0-9]+(?:\\.[a-z0-9]+)*)\\.[A-Z]");

    @Test
    void everyPackageImportsOnlyWhatTheArchitectureAllows() throws IOException {
        Map<String, List<String>> rules = rules();
        List<String> violations = new ArrayList<>();
        Map<String, Set<String>> graph = new TreeMap<>();
        for (Path source : mainSources()) {
            String text = Files.readString(source);
            String pkg = packageOf(text);
            String rule = ruleFor(rules, pkg);
            if (rule == null) {
                violations.add(source + ": package " + pkg + " has no row in " + DOCUMENT);
                continue;
            }
            Matcher reference = REFERENCE.matcher(text);
            while (reference.find()) {
                String target = "dev.mixtape." + reference.group(1);
                if (target.equals(pkg)) {
                    continue;
                }
                graph.computeIfAbsent(pkg, p -> new TreeSet<>()).add(target);
                if (rules.get(rule).stream().noneMatch(allowed -> matches(allowed, target))) {
                    violations.add(source + ": " + pkg + " refers to " + target + ", which its row (" + rule + ") does not allow");
                }
            }
        }
        assertEquals(List.of(), violations);
        assertEquals(List.of(), cycles(graph), "cycles among packages");
    }

    /** The package names of the rules table and what each may import. */
    private static Map<String, List<String>> rules() throws IOException {
        if (!Files.exists(DOCUMENT)) {
            throw new AssertionError(DOCUMENT + " is missing: it holds the package rules this test checks");
        }
        Map<String, List<String>> rules = new TreeMap<>();
        for (String line : Files.readAllLines(DOCUMENT)) {
            Matcher row = RULE.matcher(line);
            if (row.find()) {
                List<String> allowed = new ArrayList<>();
                Matcher name = NAME.matcher(row.group(2));
                while (name.find()) {
                    allowed.add(name.group(1));
                }
                rules.put(row.group(1), allowed);
            }
        }
        assertTrue(rules.size() > 5, "the rules table of " + DOCUMENT + " was not found");
        return rules;
    }

    private static List<Path> mainSources() throws IOException {
        List<Path> sources = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path main : modules.map(module -> module.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
                try (Stream<Path> files = Files.walk(main)) {
                    files.filter(file -> file.toString().endsWith(".java")).forEach(sources::add);
                }
            }
        }
        assertTrue(sources.size() > 100, "found only " + sources.size() + " sources under " + ROOT);
        return sources;
    }

    private static String packageOf(String source) {
        Matcher declaration = Pattern.compile("(?m)^package ([a-z0-9.]+);").matcher(source);
        return declaration.find() ? declaration.group(1) : "";
    }

    /** The row that governs {@code pkg}: its own, else the nearest {@code parent.*} row above it. */
    private static String ruleFor(Map<String, List<String>> rules, String pkg) {
        if (rules.containsKey(pkg)) {
            return pkg;
        }
        for (String parent = pkg; parent.contains("."); parent = parent.substring(0, parent.lastIndexOf('.'))) {
            if (rules.containsKey(parent + ".*")) {
                return parent + ".*";
            }
        }
        return null;
    }

    /** {@code a.b} allows exactly that package; {@code a.b.*} allows it and every package below it. */
    private static boolean matches(String allowed, String pkg) {
        if (allowed.endsWith(".*")) {
            String base = allowed.substring(0, allowed.length() - 2);
            return pkg.equals(base) || pkg.startsWith(base + ".");
        }
        return pkg.equals(allowed);
    }

    /** Each package that reaches itself again through the graph, with the path. */
    private static List<String> cycles(Map<String, Set<String>> graph) {
        List<String> found = new ArrayList<>();
        for (String start : graph.keySet()) {
            List<String> path = new ArrayList<>(List.of(start));
            if (reaches(graph, start, start, path, new HashSet<>())) {
                found.add(String.join(" -> ", path));
            }
        }
        return found;
    }

    private static boolean reaches(Map<String, Set<String>> graph, String from, String goal, List<String> path, Set<String> seen) {
        for (String next : graph.getOrDefault(from, Set.of())) {
            path.add(next);
            if (next.equals(goal) || (seen.add(next) && reaches(graph, next, goal, path, seen))) {
                return true;
            }
            path.removeLast();
        }
        return false;
    }
}
