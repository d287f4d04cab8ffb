package dev.mixtape.adapters.mole;

import dev.mixtape.adapters.Adapter;
import dev.mixtape.adapters.Adapters;
import dev.mixtape.adapters.LoraConfig;
import dev.mixtape.adapters.TargetModules;
import dev.mixtape.engine.Backend;
import dev.mixtape.engine.DType;
import dev.mixtape.engine.Rng;
import dev.mixtape.engine.Tensor;
import dev.mixtape.engine.nn.Module;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Static compositions of expert adapters into one ordinary LoRA adapter, the "linear arithmetic
 * composition" baselines MoLE is measured against, as PEFT's {@code add_weighted_adapter} makes them.
 * With {@code ΔWᵢ = sᵢ·Bᵢ·Aᵢ} expert i's update of a layer and {@code wᵢ} its weight:
 * <ul>
 *   <li>{@link #cat}: {@code A' = rows-concat(wᵢ·sᵢ·Aᵢ)}, {@code B' = column-concat(Bᵢ)}, rank {@code Σ rᵢ}:
 *       exactly {@code Σ wᵢ·ΔWᵢ}, so the layer computes {@code base(x) + Σ wᵢ·Eᵢ(x)};</li>
 *   <li>{@link #average}: {@code cat} with {@code wᵢ = 1/N}, uniform averaging, exact;</li>
 *   <li>{@link #linear}: {@code A' = Σ √(wᵢ·sᵢ)·Aᵢ}, {@code B' = Σ √(wᵢ·sᵢ)·Bᵢ} (equal ranks): PEFT's form,
 *       whose product has cross terms {@code Bᵢ·Aⱼ}, so it is <em>not</em> the weighted sum;</li>
 *   <li>{@link #svd}: the top-k singular triplets of {@code Σ wᵢ·ΔWᵢ = U·S·Vᵀ}, {@code B' = U·S}, {@code A' = Vᵀ}:
 *       exact when k reaches the sum's rank. (PEFT's code multiplies each {@code ΔWᵢ} by its scaling a
 *       second time here; Mixtape follows the formula above, so that {@code svd} at full rank equals {@code cat}.)</li>
 * </ul>
 * The result has scaling 1 ({@code lora_alpha = r}, per layer where ranks differ) and is added to the
 * model beside the experts, as {@link Adapters#inject} adds one: it becomes the active adapter. Like
 * PEFT's, it is frozen. Save it with {@link dev.mixtape.adapters.PeftFiles#write}. A MoSLoRA expert's
 * mixer is folded into A first ({@code Aᵢ ← Mᵢ·Aᵢ}), so the result is plain LoRA. The arithmetic is in
 * double precision; the factors are stored as f32.
 */
public final class Composition {
    private Composition() {
    }

    /** One expert on one layer: {@code a} = A (or M·A) {@code [r, in]}, {@code b} = B {@code [out, r]}, scaling {@code s}. */
    private record Factors(String expert, RealMatrix a, RealMatrix b, double scaling) {
        RealMatrix delta() {
            return b.multiply(a).scalarMultiply(scaling);
        }
    }

    /** The composed factors of one layer, with scaling 1. */
    private record Composed(RealMatrix a, RealMatrix b) {
        int rank() {
            return a.getRowDimension();
        }
    }

    /** How one layer's expert factors become one adapter's. */
    private interface Rule {
        Composed combine(String layer, List<Factors> experts, double[] weights);
    }

    /** PEFT's {@code cat}: exactly {@code Σ wᵢ·ΔWᵢ}, at rank {@code Σ rᵢ}. */
    public static Adapter cat(Module model, List<String> experts, double[] weights, String name) {
        return compose(model, experts, weights, name, (layer, factors, w) -> {
            List<RealMatrix> as = new ArrayList<>();
            List<RealMatrix> bs = new ArrayList<>();
            for (int i = 0; i < factors.size(); i++) {
                as.add(factors.get(i).a().scalarMultiply(w[i] * factors.get(i).scaling()));
                bs.add(factors.get(i).b());
            }
            return new Composed(stackRows(as), stackColumns(bs));
        });
    }

    /** Uniform averaging, {@code base(x) + (1/N)·Σ Eᵢ(x)}: {@link #cat} with every weight {@code 1/N}. */
    public static Adapter average(Module model, List<String> experts, String name) {
        double[] weights = new double[experts.size()];
        Arrays.fill(weights, 1.0 / experts.size());
        return cat(model, experts, weights, name);
    }

    /**
     * PEFT's {@code linear}: {@code A' = Σ √(wᵢ·sᵢ)·Aᵢ}, {@code B' = Σ √(wᵢ·sᵢ)·Bᵢ}. The experts must
     * have equal ranks on every layer and every {@code wᵢ·sᵢ} must be non-negative.
     */
    public static Adapter linear(Module model, List<String> experts, double[] weights, String name) {
        return compose(model, experts, weights, name, (layer, factors, w) -> {
            RealMatrix a = null;
            RealMatrix b = null;
            for (int i = 0; i < factors.size(); i++) {
                Factors f = factors.get(i);
                if (f.a().getRowDimension() != factors.getFirst().a().getRowDimension()) {
                    throw new IllegalArgumentException("linear composition needs equal ranks, but on '" + layer + "' expert '"
                            + factors.getFirst().expert() + "' has rank " + factors.getFirst().a().getRowDimension() + " and '"
                            + f.expert() + "' rank " + f.a().getRowDimension() + "; use cat or svd");
                }
                double product = w[i] * f.scaling();
                if (product < 0) {
                    throw new IllegalArgumentException("linear composition takes √(weight·scaling), but expert '" + f.expert()
                            + "' has weight·scaling " + product + " on '" + layer + "'; use cat or svd");
                }
                double root = Math.sqrt(product);
                a = a == null ? f.a().scalarMultiply(root) : a.add(f.a().scalarMultiply(root));
                b = b == null ? f.b().scalarMultiply(root) : b.add(f.b().scalarMultiply(root));
            }
            return new Composed(a, b);
        });
    }

    /**
     * PEFT's {@code svd}: the best rank-{@code rank} approximation of {@code Σ wᵢ·ΔWᵢ}, split as
     * {@code B' = U·S}, {@code A' = Vᵀ}. {@code rank} 0 takes the largest expert rank of each layer
     * (PEFT's default); it may not exceed {@code min(out, in)}.
     */
    public static Adapter svd(Module model, List<String> experts, double[] weights, String name, int rank) {
        if (rank < 0) {
            throw new IllegalArgumentException("svd rank must be positive, or 0 for the largest expert rank; got " + rank);
        }
        return compose(model, experts, weights, name, (layer, factors, w) -> {
            RealMatrix sum = null;
            int largest = 0;
            for (int i = 0; i < factors.size(); i++) {
                RealMatrix weighted = factors.get(i).delta().scalarMultiply(w[i]);
                sum = sum == null ? weighted : sum.add(weighted);
                largest = Math.max(largest, factors.get(i).a().getRowDimension());
            }
            int k = rank == 0 ? largest : rank;
            int out = sum.getRowDimension();
            int in = sum.getColumnDimension();
            if (k > Math.min(out, in)) {
                throw new IllegalArgumentException("svd rank " + k + " exceeds min(out, in) = " + Math.min(out, in)
                        + " on '" + layer + "' (" + out + " x " + in + ")");
            }
            SingularValueDecomposition svd = new SingularValueDecomposition(sum);
            double[] singular = Arrays.copyOf(svd.getSingularValues(), k);
            RealMatrix b = svd.getU().getSubMatrix(0, out - 1, 0, k - 1).multiply(MatrixUtils.createRealDiagonalMatrix(singular));
            RealMatrix a = svd.getVT().getSubMatrix(0, k - 1, 0, in - 1);
            return new Composed(a, b);
        });
    }

    private static Adapter compose(Module model, List<String> names, double[] weights, String name, Rule rule) {
        if (weights.length != names.size()) {
            throw new IllegalArgumentException(weights.length + " weights for " + names.size() + " experts " + names);
        }
        for (double weight : weights) {
            if (!Double.isFinite(weight)) {
                throw new IllegalArgumentException("composition weights must be finite, got " + Arrays.toString(weights));
            }
        }
        ExpertSet set = ExpertSet.resolve(model, names);
        List<Map<String, Tensor>> parameters = set.adapters().stream().map(Adapter::namedParameters).toList();
        Map<String, Composed> composed = new LinkedHashMap<>();
        for (String layer : set.layers().keySet()) {
            List<Factors> factors = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                factors.add(factors(set.adapters().get(i), parameters.get(i), layer));
            }
            composed.put(layer, rule.combine(layer, factors, weights));
        }
        LoraConfig config = config(composed, set.adapters().getFirst().config().baseModelNameOrPath());
        Adapter adapter = Adapters.inject(model, config, name, new Rng(0));
        Map<String, Tensor> target = adapter.namedParameters();
        composed.forEach((layer, factors) -> {
            fill(target.get(layer + ".lora_A." + name + ".weight"), factors.a());
            fill(target.get(layer + ".lora_B." + name + ".weight"), factors.b());
        });
        adapter.parameters().forEach(parameter -> parameter.requiresGrad(false));
        return adapter;
    }

    private static Factors factors(Adapter expert, Map<String, Tensor> parameters, String layer) {
        String suffix = "." + expert.name() + ".weight";
        RealMatrix a = matrix(parameters.get(layer + ".lora_A" + suffix));
        Tensor mixer = parameters.get(layer + ".lora_AB" + suffix);
        if (mixer != null) {
            a = matrix(mixer).multiply(a);
        }
        return new Factors(expert.name(), a, matrix(parameters.get(layer + ".lora_B" + suffix)), expert.config().scalingFor(layer));
    }

    /**
     * Rank r and {@code lora_alpha = r} for every layer (scaling 1), with per-layer entries (escaped
     * full names) where a layer's rank differs from the first layer's.
     */
    private static LoraConfig config(Map<String, Composed> composed, String baseModel) {
        int r = composed.values().iterator().next().rank();
        Map<String, Integer> ranks = new LinkedHashMap<>();
        Map<String, Double> alphas = new LinkedHashMap<>();
        composed.forEach((layer, factors) -> {
            if (factors.rank() != r) {
                String exactly = layer.replaceAll("\\W", "\\\\$0");
                ranks.put(exactly, factors.rank());
                alphas.put(exactly, (double) factors.rank());
            }
        });
        return LoraConfig.builder(new TargetModules.Names(new ArrayList<>(composed.keySet())))
                .r(r).alpha(r).rankPattern(ranks).alphaPattern(alphas).baseModelNameOrPath(baseModel).build();
    }

    private static RealMatrix stackRows(List<RealMatrix> parts) {
        int rows = parts.stream().mapToInt(RealMatrix::getRowDimension).sum();
        RealMatrix out = new Array2DRowRealMatrix(rows, parts.getFirst().getColumnDimension());
        int row = 0;
        for (RealMatrix part : parts) {
            out.setSubMatrix(part.getData(), row, 0);
            row += part.getRowDimension();
        }
        return out;
    }

    private static RealMatrix stackColumns(List<RealMatrix> parts) {
        int columns = parts.stream().mapToInt(RealMatrix::getColumnDimension).sum();
        RealMatrix out = new Array2DRowRealMatrix(parts.getFirst().getRowDimension(), columns);
        int column = 0;
        for (RealMatrix part : parts) {
            out.setSubMatrix(part.getData(), 0, column);
            column += part.getColumnDimension();
        }
        return out;
    }

    private static RealMatrix matrix(Tensor tensor) {
        double[] values = tensor.toDoubleArray();
        int rows = tensor.dim(0);
        int columns = tensor.dim(1);
        double[][] data = new double[rows][columns];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(values, i * columns, data[i], 0, columns);
        }
        return MatrixUtils.createRealMatrix(data);
    }

    private static void fill(Tensor parameter, RealMatrix values) {
        int rows = values.getRowDimension();
        int columns = values.getColumnDimension();
        double[] flat = new double[rows * columns];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(values.getRow(i), 0, flat, i * columns, columns);
        }
        Backend backend = parameter.backend();
        parameter.assign(Tensor.of(backend, DType.F32, flat, rows, columns));
    }
}
