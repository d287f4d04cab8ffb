/**
 * MoLE, Mixture of LoRA Experts (Wu, Huang and Wei, ICLR 2024): N already-trained LoRA or MoSLoRA
 * adapters, frozen, combined on every layer they adapt by learnable gates; the base model and the
 * experts stay frozen and only the gates train. The math is in the project's {@code spec/ADAPTERS.md}.
 *
 * <h2>Using it</h2>
 * <pre>{@code
 * for (String name : List.of("math", "code")) {
 *     PeftFiles.load(Path.of("experts", name), llama, name);          // the experts, as ordinary adapters
 * }
 * Mole mole = Mole.attach(llama, List.of("math", "code"), MoleConfig.builder().granularity(Granularity.LAYER).build());
 * // training: only mole.parameters() require a gradient
 * Tensor loss = llama.loss(...).add(mole.balanceLoss());             // α·(−Σ log qᵢ) of this forward pass
 * loss.backward();  ...  mole.gateEntropy();                          // for the log
 * MoleFiles.write(Path.of("runs/mole"), mole, Map.of("math", Path.of("experts/math"), "code", Path.of("experts/code")));
 * // inference, later, on a fresh base model
 * Mole loaded = MoleFiles.load(Path.of("runs/mole"), llama2);
 * loaded.mask(List.of("code"));                                       // drop an expert without retraining
 * loaded.resetExplanation(); ... generate ...; loaded.explanation(); // mean weight of each expert per gate
 * // baselines: one ordinary adapter each, composed before a MoLE is attached
 * Adapter average = Composition.average(llama, List.of("math", "code"), "average");
 * }</pre>
 *
 * <h2>What a layer computes</h2>
 * For an adapted matrix with frozen base {@code F} and expert branches {@code Eᵢ(x) = sᵢ·x·Aᵢᵀ·Mᵢᵀ·Bᵢᵀ}
 * (as {@link dev.mixtape.adapters.LoraLinear#branchOutput} computes them):
 * {@code O(x) = F(x) + Σᵢ Gᵢ·Eᵢ(x)}, {@code G = softmax(ε / τ)}, {@code ε = e·normalise(u)} with a
 * learnable {@code e [N, F]} (no bias) and gate input {@code u}: the experts' outputs concatenated,
 * {@code [E₁(x), …, E_N(x)]} (the paper's form, {@link GateInput#EXPERT_OUTPUTS}), or the layer's input
 * {@code x} (the released code's form, {@link GateInput#MODULE_INPUT}). The normalisation is an RMS
 * normalisation without learnable scale. {@code e} starts at zero: a new MoLE is uniform averaging.
 *
 * <h2>Design choices</h2>
 * <ul>
 *   <li><b>Shared gates.</b> With {@link Granularity#LAYER}, {@code BLOCK} or {@code NETWORK} several
 *   matrices share one gate, and all of them use the <em>same</em> weights G in a forward pass. The
 *   weights are computed at the group's first matrix in model order (q_proj for a Llama attention
 *   sub-layer or block, gate_proj for its MLP, layer 0's q_proj for the network) from that matrix's
 *   gate input; the other members reuse them. Logits summed over all members' expert outputs (the
 *   paper's "concatenated outputs of the layer") cannot be formed in a decoder: o_proj's input is the
 *   attention output, which depends on q/k/v and therefore on G itself. Reading the first member is
 *   well defined, causal, costs one small product per gate, and at {@link Granularity#MATRIX} it is
 *   exactly the paper's per-matrix gate. The model must call a group's first matrix before its
 *   others in every pass (a Llama does); a layer that runs first is refused with a clear error.</li>
 *   <li><b>Per token.</b> The paper flattens a fixed-length sequence into the gate input; for a
 *   decoder Mixtape gates each token ({@link Pooling#TOKEN}, default) or, as an option, the mean of
 *   the normalised gate input over the sequence ({@link Pooling#MEAN}: not causal, padding counts).</li>
 *   <li><b>Balance loss.</b> {@code α·(−Σᵢ log qᵢ)}, {@code qᵢ} the mean weight of expert i over every
 *   gate and every token of the batch ({@link Mole#balanceLoss}); α = 0.5 by default.</li>
 *   <li><b>Uniform averaging</b> is {@link Composition#average}: {@code cat} with weights 1/N, which
 *   is exactly {@code F(x) + (1/N)·Σ Eᵢ(x)}, as one mergeable adapter. A new MoLE (gates at zero)
 *   computes the same, with the cost of gates. PEFT's {@code linear} with weights 1/N is not uniform
 *   averaging (cross terms).</li>
 * </ul>
 */
package dev.mixtape.adapters.mole;
