/**
 * LoRA and MoSLoRA adapters for any {@link dev.mixtape.engine.nn.Module} tree, with PEFT's vocabulary
 * and file format. {@link dev.mixtape.adapters.LoraConfig} holds the settings,
 * {@link dev.mixtape.adapters.Adapters#inject} wraps the targeted Linear layers in
 * {@link dev.mixtape.adapters.LoraLinear}s, an {@link dev.mixtape.adapters.Adapter} activates, merges
 * and unmerges one named adapter, and {@link dev.mixtape.adapters.PeftFiles} reads and writes
 * {@code adapter_config.json} + {@code adapter_model.safetensors}. The math is in the project's
 * {@code spec/ADAPTERS.md}.
 */
package dev.mixtape.adapters;
