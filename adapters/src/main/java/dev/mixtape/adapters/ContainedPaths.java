package dev.mixtape.adapters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Resolves a path that one file of a folder gives for another (a shard index's shard, a MoLE's
 * expert folder) so that it cannot lead outside the folder: an absolute path, a {@code ..} or a
 * symbolic link whose target lies elsewhere is refused, saying which.
 */
public final class ContainedPaths {
    private ContainedPaths() {
    }

    /**
     * {@code relative} resolved against {@code folder}, or an {@link IllegalArgumentException} saying
     * why it may not be: empty, absolute, holding a {@code ..}, or existing with a real path (links
     * followed) outside the real path of {@code root} ({@code folder} itself, or a folder above it that
     * is known to hold what links lead to).
     */
    public static Path resolve(Path folder, String relative, Path root) throws IOException {
        Path path;
        try {
            path = Path.of(relative);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("is not a valid path (" + e.getReason() + ")");
        }
        if (relative.isEmpty()) {
            throw new IllegalArgumentException("is empty");
        }
        if (path.isAbsolute() || path.getRoot() != null || relative.startsWith("/") || relative.startsWith("\\")) {
            throw new IllegalArgumentException("is absolute; it must be relative to " + folder);
        }
        for (Path name : path) {
            if (name.toString().equals("..")) {
                throw new IllegalArgumentException("climbs out of " + folder + " with '..'");
            }
        }
        Path resolved = folder.resolve(path);
        if (Files.exists(resolved)) {
            Path real = resolved.toRealPath();
            Path realRoot = root.toRealPath();
            if (!real.startsWith(realRoot)) {
                throw new IllegalArgumentException("leads through a link to " + real + ", outside " + realRoot);
            }
        }
        return resolved;
    }
}
