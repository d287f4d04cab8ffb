package dev.mixtape.cli;

import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Help.Ansi.IStyle;
import picocli.CommandLine.Help.IParamLabelRenderer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Path;
import java.util.List;

/**
 * How {@code --help} and docs/CLI.md show an option's value: its own label where the option gives
 * one ({@code --weights TYPE}), else its kind: {@code N} for a whole number, {@code X} for a real
 * one, {@code PATH}, {@code A,B,...} for a list and {@code VALUE} for anything else, in place of
 * picocli's default, the Java field's name ({@code <clipNorm>}).
 */
final class ValueLabels implements IParamLabelRenderer {
    private final IParamLabelRenderer standard;

    private ValueLabels(IParamLabelRenderer standard) {
        this.standard = standard;
    }

    /** Help that shows values with these labels. */
    static Help help(CommandSpec spec, Help.ColorScheme colors) {
        return new Help(spec, colors) {
            @Override
            public IParamLabelRenderer parameterLabelRenderer() {
                return new ValueLabels(super.parameterLabelRenderer());
            }
        };
    }

    /** The label of {@code option}'s value. */
    static String of(OptionSpec option) {
        if (!option.paramLabel().startsWith("<")) {
            return option.paramLabel();
        }
        Class<?> type = option.type();
        if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
            return "N";
        }
        if (type == double.class || type == Double.class) {
            return "X";
        }
        if (type == Path.class) {
            return "PATH";
        }
        return List.class.isAssignableFrom(type) ? "A,B,..." : "VALUE";
    }

    @Override
    public Ansi.Text renderParameterLabel(ArgSpec arg, Ansi ansi, List<IStyle> styles) {
        if (!(arg instanceof OptionSpec option) || option.arity().max() == 0 || !option.paramLabel().startsWith("<")) {
            return standard.renderParameterLabel(arg, ansi, styles);
        }
        String value = separator() + of(option);
        return ansi.apply(option.arity().min() == 0 ? "[" + value + "]" : value, styles);
    }

    @Override
    public String separator() {
        return standard.separator();
    }
}
