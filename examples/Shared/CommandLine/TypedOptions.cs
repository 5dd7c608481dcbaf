using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Decoupling.Examples.Shared.CommandLine;

/// <summary>
/// Options whose values are checked while parsing, each with a one-line error that names the option, what it expects
/// and what it got (numbers in the invariant culture; lists comma-separated).
/// </summary>
public static class TypedOptions
{
    /// <summary>An integer of at least <paramref name="minimum"/>, <paramref name="defaultValue"/> when absent.</summary>
    public static Option<int> Integer(string name, string description, int defaultValue, int minimum) =>
        new(name) { Description = description, HelpName = "N", DefaultValueFactory = _ => defaultValue, CustomParser = r => ParseSingle(r, text => ParseInteger(r, name, text, minimum)) };

    /// <summary>An integer of at least <paramref name="minimum"/>, null when absent (the program picks the default).</summary>
    public static Option<int?> OptionalInteger(string name, string description, int minimum) =>
        new(name) { Description = description, HelpName = "N", CustomParser = r => ParseSingle<int?>(r, text => ParseInteger(r, name, text, minimum)) };

    /// <summary>A number in [<paramref name="minimum"/>, <paramref name="maximum"/>] (above the minimum when <paramref name="minimumExcluded"/>).</summary>
    public static Option<double> Number(string name, string description, double defaultValue, double minimum, double maximum = double.MaxValue, bool minimumExcluded = false) =>
        new(name) { Description = description, HelpName = "X", DefaultValueFactory = _ => defaultValue, CustomParser = r => ParseSingle(r, text => ParseNumber(r, name, text, minimum, maximum, minimumExcluded)) };

    /// <summary>A number in [<paramref name="minimum"/>, <paramref name="maximum"/>], null when absent.</summary>
    public static Option<double?> OptionalNumber(string name, string description, double minimum, double maximum = double.MaxValue, bool minimumExcluded = false) =>
        new(name) { Description = description, HelpName = "X", CustomParser = r => ParseSingle<double?>(r, text => ParseNumber(r, name, text, minimum, maximum, minimumExcluded)) };

    /// <summary>One of <paramref name="choices"/>, <paramref name="defaultValue"/> when absent (null: the program decides).</summary>
    public static Option<string?> Choice(string name, string description, string? defaultValue, params string[] choices) =>
        new(name)
        {
            Description = description,
            HelpName = string.Join('|', choices),
            DefaultValueFactory = _ => defaultValue,
            CustomParser = r => ParseSingle(r, text => ParseChoice(r, name, text, choices)),
        };

    /// <summary>Free text (a folder, a file, an architecture), <paramref name="defaultValue"/> when absent.</summary>
    public static Option<string> Text(string name, string description, string defaultValue, string helpName) =>
        new(name) { Description = description, HelpName = helpName, DefaultValueFactory = _ => defaultValue };

    /// <summary>Free text, null when absent.</summary>
    public static Option<string?> OptionalText(string name, string description, string helpName) =>
        new(name) { Description = description, HelpName = helpName };

    /// <summary>A switch without a value.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>Comma-separated integers of at least <paramref name="minimum"/>; null when absent (<paramref name="defaultValue"/> is shown in the help).</summary>
    public static Option<IReadOnlyList<int>?> IntegerList(string name, string description, IReadOnlyList<int> defaultValue, int minimum) =>
        List(name, description, defaultValue.Select(v => v.ToString(CultureInfo.InvariantCulture)), (r, text) => ParseInteger(r, name, text, minimum));

    /// <summary>Comma-separated numbers in [<paramref name="minimum"/>, <paramref name="maximum"/>]; null when absent.</summary>
    public static Option<IReadOnlyList<double>?> NumberList(string name, string description, IReadOnlyList<double> defaultValue, double minimum, double maximum) =>
        List(name, description, defaultValue.Select(v => v.ToString(CultureInfo.InvariantCulture)), (r, text) => ParseNumber(r, name, text, minimum, maximum, minimumExcluded: false));

    /// <summary>Comma-separated names, each one of <paramref name="choices"/> (null: any name); null when absent.</summary>
    public static Option<IReadOnlyList<string>?> TextList(string name, string description, IReadOnlyList<string> defaultValue, IReadOnlyList<string>? choices = null) =>
        List(name, description, defaultValue, (r, text) => choices is null ? text : ParseChoice(r, name, text, choices));

    private static Option<IReadOnlyList<T>?> List<T>(string name, string description, IEnumerable<string> defaultValue, Func<ArgumentResult, string, T> parseItem) =>
        new(name)
        {
            Description = $"{description} [default: {string.Join(',', defaultValue)}]",
            HelpName = "A,B,…",
            CustomParser = r => ParseSingle<IReadOnlyList<T>?>(r, text =>
            {
                var items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(item => parseItem(r, item)).ToList();
                if (items.Count == 0)
                {
                    r.AddError($"{name} needs at least one value, got '{text}'.");
                }

                return items;
            }),
        };

    private static T ParseSingle<T>(ArgumentResult result, Func<string, T> parse) =>
        result.Tokens.Count == 1 ? parse(result.Tokens[0].Value) : default!;

    private static int ParseInteger(ArgumentResult result, string name, string text, int minimum)
    {
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value) && value >= minimum)
        {
            return value;
        }

        string expected = minimum switch
        {
            1 => "a positive integer",
            0 => "a non-negative integer",
            _ => $"an integer of at least {minimum}",
        };
        result.AddError($"{name} must be {expected}, got '{text}'.");
        return default;
    }

    private static double ParseNumber(ArgumentResult result, string name, string text, double minimum, double maximum, bool minimumExcluded)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            && (minimumExcluded ? value > minimum : value >= minimum) && value <= maximum)
        {
            return value;
        }

        string range = (minimum, maximum, minimumExcluded) switch
        {
            (0, double.MaxValue, false) => "a non-negative number",
            (0, double.MaxValue, true) => "a positive number",
            (_, double.MaxValue, _) => $"a number {(minimumExcluded ? "above" : "of at least")} {minimum.ToString(CultureInfo.InvariantCulture)}",
            _ => string.Create(CultureInfo.InvariantCulture, $"a number in {(minimumExcluded ? '(' : '[')}{minimum}, {maximum}]"),
        };
        result.AddError($"{name} must be {range}, got '{text}'.");
        return default;
    }

    private static string ParseChoice(ArgumentResult result, string name, string text, IReadOnlyList<string> choices)
    {
        if (choices.Contains(text, StringComparer.Ordinal))
        {
            return text;
        }

        string expected = choices.Count == 1 ? $"'{choices[0]}'" : $"{string.Join(", ", choices.Take(choices.Count - 1).Select(c => $"'{c}'"))} or '{choices[^1]}'";
        result.AddError($"{name} must be {expected}, got '{text}'.");
        return text;
    }
}
