package dev.mixtape.bench;

import jdk.incubator.vector.FloatVector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The machine a benchmark ran on, as one line printed above every table: the CPU's model (with its
 * family and model numbers, since a virtual machine often names only the vendor), its widest SIMD
 * instructions, the vector width the kernels computed with, the cores and the JVM. Figures measured
 * on an AVX2 host and on an AVX-512 host are not comparable, so no table is printed without it.
 */
final class Host {
    private static final Path CPU_INFO = Path.of("/proc/cpuinfo");

    private Host() {
    }

    /** One line describing this machine and JVM, e.g. {@code CPU: AMD EPYC (family 25, model 1), AVX2, ...}. */
    static String describe() {
        List<String> cpuInfo = cpuInfo();
        String model = field(cpuInfo, "model name").orElse(System.getProperty("os.arch"));
        String numbers = field(cpuInfo, "cpu family")
                .map(family -> " (family " + family + ", model " + field(cpuInfo, "model").orElse("?") + ")")
                .orElse("");
        String simd = simd(field(cpuInfo, "flags").orElse(""));
        String forced = System.getProperty("mixtape.vector.bits");
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String width = forced == null || forced.isBlank()
                ? "kernels at the preferred " + preferred + " bits"
                : "kernels at mixtape.vector.bits=" + forced + " (preferred " + preferred + ")";
        return String.format(Locale.ROOT, "CPU: %s%s, %s, %d cores; %s; JVM: %s %s.", model, numbers, simd,
                Runtime.getRuntime().availableProcessors(), width, System.getProperty("java.vm.name"),
                System.getProperty("java.version"));
    }

    /**
     * The widest SIMD instructions a /proc/cpuinfo {@code flags} value names. The kernel pads some
     * flags with more than one space (seen on AMD Zen 5 virtual machines), so the value is split on
     * runs of white space.
     */
    static String simd(String flags) {
        Set<String> names = Set.copyOf(Arrays.asList(flags.strip().split("\\s+")));
        return names.contains("avx512f") ? "AVX-512" : names.contains("avx2") ? "AVX2 (no AVX-512)"
                : flags.isBlank() ? "SIMD unknown" : "no AVX2";
    }

    private static List<String> cpuInfo() {
        try {
            return Files.isReadable(CPU_INFO) ? Files.readAllLines(CPU_INFO) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The value of the first {@code name : value} line of /proc/cpuinfo whose name is {@code name}. */
    private static Optional<String> field(List<String> cpuInfo, String name) {
        for (String line : cpuInfo) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().equals(name)) {
                return Optional.of(line.substring(colon + 1).strip());
            }
        }
        return Optional.empty();
    }
}
