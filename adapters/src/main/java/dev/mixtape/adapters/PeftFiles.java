package dev.mixtape.adapters;

import dev.mixtape.engine.DType;
import dev.mixtape.engine.Shapes;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.io.FiniteScan;
import dev.mixtape.engine.io.SafetensorsFile;
import dev.mixtape.engine.io.SafetensorsWriter;
import dev.mixtape.engine.nn.Linear;
import dev.mixtape.engine.nn.Module;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Adapter folders in Hugging Face PEFT's format, readable by PEFT's {@code PeftModel.from_pretrained}
 * and written by it: {@code adapter_config.json} (see {@link LoraConfig} for the keys) and
 * {@code adapter_model.safetensors} with PEFT's tensor names for a causal language model,
 * {@code base_model.model.<layer>.lora_A.weight} {@code [r, in]}, {@code …lora_B.weight}
 * {@code [out, r]} and, for MoSLoRA, {@code …lora_AB.weight} {@code [r, r]}.
 * <pre>{@code
 * PeftFiles.write(Path.of("my-adapter"), adapter);
 * Adapter loaded = PeftFiles.load(Path.of("my-adapter"), freshLlama, "default");
 * }</pre>
 */
public final class PeftFiles {
    /** The config file's name in an adapter folder. */
    public static final String CONFIG_FILE = "adapter_config.json";
    /** The weights file's name in an adapter folder. */
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final String PREFIX = "base_model.model.";

    private PeftFiles() {
    }

    /**
     * Writes {@code adapter} to {@code folder} (created if absent), as F32 with PEFT's
     * {@code {"format": "pt"}} metadata. Each file is written atomically, the weights first, so a
     * reader sees the old or the new version of each.
     */
    public static void write(Path folder, Adapter adapter) throws IOException {
        Files.createDirectories(folder);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        adapter.layers().forEach((layer, lora) -> {
            LoraBranch branch = lora.branch(adapter.name());
            tensors.put(tensorName(layer, "lora_A"), branch.a.weight());
            tensors.put(tensorName(layer, "lora_B"), branch.b.weight());
            if (branch.mixer != null) {
                tensors.put(tensorName(layer, "lora_AB"), branch.mixer.weight());
            }
        });
        SafetensorsWriter.write(folder.resolve(WEIGHTS_FILE), tensors, Map.of("format", "pt"), DType.F32);
        PeftConfigJson.write(folder.resolve(CONFIG_FILE), adapter.config());
    }

    /**
     * Loads the adapter in {@code folder} into {@code model} under {@code name}, as
     * {@link Adapters#inject} would add a new one (it becomes the active adapter, the rest of the model
     * is frozen, its own parameters are trainable) but with the file's weights (F32, F16 or BF16).
     * Every targeted layer must find its tensors with the shapes the config implies, and every tensor
     * must belong to a targeted layer, and hold no NaN or ±Inf; otherwise a {@link PeftFormatException}
     * names the tensor (and the layer and both shapes, or the bad element), and the model is left unchanged.
     */
    public static Adapter load(Path folder, Module model, String name) throws IOException {
        Path configFile = folder.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(configFile)) {
            throw new IOException(folder + ": not a PEFT adapter folder (no " + CONFIG_FILE + ")");
        }
        LoraConfig config = PeftConfigJson.read(configFile);
        Map<String, Module> targets;
        try {
            targets = TargetSelection.select(model, config);
        } catch (IllegalArgumentException e) {
            throw new PeftFormatException(configFile, e.getMessage(), e);
        }
        Map<String, LoraFactors> factors = new LinkedHashMap<>();
        try (SafetensorsFile file = SafetensorsFile.open(folder.resolve(WEIGHTS_FILE))) {
            Set<String> unused = new LinkedHashSet<>(file.names());
            targets.forEach((layer, module) -> {
                Linear base = TargetSelection.linearOf(module);
                int r = config.rankFor(layer);
                FactorReader reader = new FactorReader(file, layer, base, r, unused);
                factors.put(layer, new LoraFactors(
                        reader.read("lora_A", r, base.inFeatures()),
                        config.useMixer() ? reader.read("lora_AB", r, r) : null,
                        reader.read("lora_B", base.outFeatures(), r)));
            });
            if (!unused.isEmpty()) {
                throw new PeftFormatException(file.path(), "tensors that no targeted layer uses: " + unused
                        + " (the config targets " + targets.size() + " layers" + (config.useMixer() ? "" : ", without a mixer") + ")");
            }
        }
        return Adapters.attach(model, config, name, (layer, base, rank) -> factors.get(layer));
    }

    /** PEFT's file name of a layer's factor: {@code base_model.model.<layer>.<factor>.weight}. */
    static String tensorName(String layer, String factor) {
        return PREFIX + layer + "." + factor + ".weight";
    }

    /** Reads one layer's factors from the weights file, checking each name and shape. */
    private record FactorReader(SafetensorsFile file, String layer, Linear base, int rank, Set<String> unused) {
        Tensor read(String factor, int rows, int columns) {
            String name = tensorName(layer, factor);
            if (!file.contains(name)) {
                throw new PeftFormatException(file.path(), "no tensor '" + name + "' for the targeted layer '" + layer + "'");
            }
            int[] expected = {rows, columns};
            int[] actual = file.info(name).shape();
            if (!Arrays.equals(actual, expected)) {
                throw new PeftFormatException(file.path(), "tensor '" + name + "' has shape " + Shapes.str(actual)
                        + ", but layer '" + layer + "' (Linear " + base.inFeatures() + " -> " + base.outFeatures()
                        + ") with r = " + rank + " needs " + Shapes.str(expected));
            }
            unused.remove(name);
            float[] values = file.readFloats(name);
            int bad = FiniteScan.firstNonFinite(values);
            if (bad >= 0) {
                throw new PeftFormatException(file.path(), "tensor '" + name + "' holds " + values[bad] + " at element " + bad
                        + " (a corrupt or diverged adapter)");
            }
            return Tensor.of(base.weight().backend(), values, expected);
        }
    }
}
