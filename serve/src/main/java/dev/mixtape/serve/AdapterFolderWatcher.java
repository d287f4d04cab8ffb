package dev.mixtape.serve;

import dev.mixtape.adapters.PeftFiles;
import dev.mixtape.adapters.mole.MoleFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Serves every adapter folder inside one folder ({@code ./mixtape serve --adapter-dir DIR}): each
 * subfolder holding a PEFT adapter ({@code adapter_config.json} and {@code adapter_model.safetensors})
 * or a MoLE folder ({@code mole_config.json}) is served under the subfolder's name. The folder is
 * scanned every {@code interval}: a subfolder that appears is loaded, one that disappears stops being
 * served (requests running with it finish with it), one whose files change is loaded again.
 *
 * <p>A subfolder is loaded only once its files have stood still for a whole interval (the same
 * names, sizes and modification times in two scans in a row), so a folder being copied in is not
 * loaded half. A subfolder that still fails to load (a damaged file, a name already served) is
 * reported in one line and left alone until its files change; the server keeps serving.
 */
public final class AdapterFolderWatcher implements AutoCloseable {
    private final BatchEngine engine;
    private final Path folder;
    private final Consumer<String> log;
    private final ScheduledExecutorService timer;
    /** Each subfolder's files as the last scan saw them. */
    private final Map<String, Map<String, List<Long>>> lastSeen = new HashMap<>();
    /** The files each subfolder had when it was last loaded or refused. */
    private final Map<String, Map<String, List<Long>>> settled = new HashMap<>();
    /** The subfolders being served now. */
    private final Set<String> served = new HashSet<>();

    /**
     * Watches {@code folder} (which must exist) for {@code engine}, scanning it now and then every
     * {@code interval}; what it loads, removes and refuses is told to {@code log}, one line each.
     */
    public AdapterFolderWatcher(BatchEngine engine, Path folder, Duration interval, Consumer<String> log) throws IOException {
        if (!Files.isDirectory(folder)) {
            throw new IOException(folder + ": the adapter folder does not exist or is not a folder");
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("the scan interval must be positive, got " + interval);
        }
        this.engine = engine;
        this.folder = folder;
        this.log = log;
        this.timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("mixtape-adapter-folder").daemon(true).factory());
        timer.scheduleWithFixedDelay(this::scanSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Stops watching; what was loaded stays served. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void scanSafely() {
        try {
            scan();
        } catch (IOException | RuntimeException e) {
            log.accept(folder + ": could not scan the adapter folder (" + e.getMessage() + "); trying again");
        }
    }

    private void scan() throws IOException {
        Map<String, Path> present = new TreeMap<>();
        try (Stream<Path> children = Files.list(folder)) {
            children.filter(Files::isDirectory).filter(child -> !child.getFileName().toString().startsWith("."))
                    .forEach(child -> present.put(child.getFileName().toString(), child));
        }
        for (String name : Set.copyOf(lastSeen.keySet())) {
            if (!present.containsKey(name)) {
                lastSeen.remove(name);
                settled.remove(name);
                if (served.remove(name)) {
                    stopServing(name);
                    log.accept("removed '" + name + "' (its folder is gone)");
                }
            }
        }
        for (Map.Entry<String, Path> child : present.entrySet()) {
            String name = child.getKey();
            Map<String, List<Long>> files = files(child.getValue());
            Map<String, List<Long>> before = lastSeen.put(name, files);
            if (files.equals(before) && !files.equals(settled.get(name))) {
                settled.put(name, files);
                if (isComplete(files)) {
                    load(name, child.getValue(), files.containsKey(MoleFiles.CONFIG_FILE));
                } else {
                    log.accept(child.getValue() + ": not served (no " + PeftFiles.CONFIG_FILE + " with " + PeftFiles.WEIGHTS_FILE
                            + ", nor " + MoleFiles.CONFIG_FILE + ")");
                }
            }
        }
    }

    /** Whether a subfolder has what a PEFT adapter or a MoLE folder needs (loading still checks it all). */
    private static boolean isComplete(Map<String, List<Long>> files) {
        return files.containsKey(MoleFiles.CONFIG_FILE)
                || files.containsKey(PeftFiles.CONFIG_FILE) && files.containsKey(PeftFiles.WEIGHTS_FILE);
    }

    private void load(String name, Path source, boolean mole) {
        boolean reload = served.remove(name);
        if (reload) {
            stopServing(name);
        }
        try {
            if (mole) {
                engine.addMole(name, source);
            } else {
                engine.addAdapter(name, source);
            }
            served.add(name);
            log.accept((reload ? "reloaded " : "loaded ") + (mole ? "MoLE '" : "adapter '") + name + "' from " + source);
        } catch (IOException | RuntimeException e) {
            log.accept(source + ": not served (" + e.getMessage() + ")");
        }
    }

    private void stopServing(String name) {
        try {
            engine.removeAdapter(name);
        } catch (UnknownModelException e) {
            // Removed through the API already.
        }
    }

    /** A subfolder's regular files (two levels down) by relative path: size and modification time. */
    private static Map<String, List<Long>> files(Path subfolder) throws IOException {
        Map<String, List<Long>> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(subfolder, 2)) {
            for (Path file : (Iterable<Path>) walk::iterator) {
                BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
                if (attributes.isRegularFile()) {
                    files.put(subfolder.relativize(file).toString(), List.of(attributes.size(), attributes.lastModifiedTime().toMillis()));
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // Removed while being listed: the next scan sees it gone.
        }
        return files;
    }
}
