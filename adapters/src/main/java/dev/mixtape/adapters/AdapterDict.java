package dev.mixtape.adapters;

import dev.mixtape.engine.nn.Module;

/**
 * Child modules keyed by adapter name, like PyTorch's {@code nn.ModuleDict}: it gives a branch's
 * matrices PEFT's in-memory names, {@code q_proj.lora_A.<adapter>.weight}.
 */
final class AdapterDict extends Module {
    void put(String adapter, Module module) {
        registerModule(adapter, module);
    }

    void remove(String adapter) {
        removeModule(adapter);
    }
}
