using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Metering.Gateway.Infrastructure;

/// <summary>Whether request text and numbers can be read and stored: PostgreSQL's text and jsonb hold no U+0000, nothing
/// holds an unpaired UTF-16 surrogate (no UTF-8 encodes one, and .NET throws reading one from JSON), .NET cannot read bytes
/// that are not UTF-8 as a string, and numeric holds numbers up to 10^131072 with 16383 decimal places. JSON is judged as
/// sent, escapes and all, so that nothing throws while judging it.</summary>
public static class StorableText
{
    /// <summary>Why text cannot be read as a .NET string or stored in PostgreSQL.</summary>
    public enum Problem
    {
        /// <summary>U+0000, which neither text nor jsonb holds (a JSON escape, or an overlong UTF-8 form).</summary>
        Nul,

        /// <summary>Half a surrogate pair: no UTF-8 encodes it, so neither .NET nor PostgreSQL can read it as text.</summary>
        UnpairedSurrogate,

        /// <summary>Bytes that are not UTF-8.</summary>
        NotUtf8,
    }

    /// <summary>PostgreSQL numeric's limits (numeric.c): up to 131072 digits before the decimal point, 16383 after, and an
    /// exponent below 2^30 in magnitude even for zero.</summary>
    private const int NumericMaxIntegerDigits = 131072;
    private const int NumericMaxScale = 16383;
    private const long NumericMaxExponent = int.MaxValue / 2;

    /// <summary>The first thing in <paramref name="element"/> (named <paramref name="path"/>) that PostgreSQL cannot store
    /// in text or jsonb, or .NET cannot read: a string or member name with U+0000, an unpaired surrogate or (unless
    /// <paramref name="invalidUtf8IsReplaced"/>, for JSON written back out with U+FFFD in their place) bytes that are not
    /// UTF-8; or a number beyond PostgreSQL numeric. Its path names the field (<c>properties.usage[2].model</c>).</summary>
    public static (string Path, string Message)? Find(JsonElement element, string path, bool invalidUtf8IsReplaced)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Of(element, invalidUtf8IsReplaced) is { } fault ? (path, Describe(path, fault)) : null;
            case JsonValueKind.Number:
                return FitsNumeric(JsonMarshal.GetRawUtf8Value(element)) ? null
                    : (path, $"'{path}' is a number beyond what PostgreSQL stores (10^131072, 16383 decimal places).");
            case JsonValueKind.Array:
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (Find(item, $"{path}[{index++}]", invalidUtf8IsReplaced) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    ReadOnlySpan<byte> name = JsonMarshal.GetRawUtf8PropertyName(property);
                    if (Of(name, invalidUtf8IsReplaced) is { } nameFault)
                    {
                        return (path, $"'{path}' has a member name that {Describe(nameFault)}.");
                    }

                    // A name that is not UTF-8 (kept, as U+FFFD, when invalidUtf8IsReplaced) is named as it decodes.
                    string member = Utf8.IsValid(name) ? property.Name : Encoding.UTF8.GetString(name);
                    if (Find(property.Value, path + "." + member, invalidUtf8IsReplaced) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>What is wrong with a .NET string that is to be stored as text (a path or query value), or null.</summary>
    public static Problem? Of(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\0')
            {
                return Problem.Nul;
            }

            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return Problem.UnpairedSurrogate;
            }
        }

        return null;
    }

    /// <summary>What is wrong with a JSON string's text, or null.</summary>
    public static Problem? Of(JsonElement text, bool invalidUtf8IsReplaced) => Of(JsonMarshal.GetRawUtf8Value(text), invalidUtf8IsReplaced);

    public static string Describe(string field, Problem problem) => $"'{field}' {Describe(problem)}.";

    private static string Describe(Problem problem) => problem switch
    {
        Problem.Nul => "holds U+0000, which cannot be stored",
        Problem.UnpairedSurrogate => "holds an unpaired UTF-16 surrogate, which is not text",
        _ => "is not UTF-8",
    };

    /// <summary>Scans a JSON string as it was sent (its raw UTF-8, quotes and escapes included).</summary>
    internal static Problem? Of(ReadOnlySpan<byte> raw, bool invalidUtf8IsReplaced)
    {
        if (!invalidUtf8IsReplaced && !Utf8.IsValid(raw))
        {
            // An overlong U+0000 (C0 80) is caught here too: it is not UTF-8.
            return Problem.NotUtf8;
        }

        // An unpaired surrogate anywhere is reported before U+0000: it makes the text unreadable, not just unstorable. The
        // scan jumps from one backslash to the next (a vectorized search), so long text without escapes costs little.
        bool nul = false;
        for (int i = raw.IndexOf((byte)'\\'); i >= 0; i = Next(raw, i))
        {
            if (raw[i + 1] != (byte)'u')
            {
                continue;
            }

            // The parser has checked that four hex digits follow; a high surrogate must be followed by \u and a low one.
            int unit = Hex(raw.Slice(i + 2, 4));
            if (unit == 0)
            {
                nul = true;
            }
            else if (unit is >= 0xD800 and <= 0xDBFF && i + 11 < raw.Length && raw[i + 6] == (byte)'\\' && raw[i + 7] == (byte)'u'
                && Hex(raw.Slice(i + 8, 4)) is >= 0xDC00 and <= 0xDFFF)
            {
                i += 6; // the pair's low half, which Next skips
            }
            else if (unit is >= 0xD800 and <= 0xDFFF)
            {
                return Problem.UnpairedSurrogate;
            }
        }

        return nul ? Problem.Nul : null;
    }

    /// <summary>The next backslash after the escape at <paramref name="escape"/> (two bytes, or six for \u), or -1.</summary>
    private static int Next(ReadOnlySpan<byte> raw, int escape)
    {
        int after = escape + (raw[escape + 1] == (byte)'u' ? 6 : 2);
        int next = raw[after..].IndexOf((byte)'\\');
        return next < 0 ? -1 : after + next;
    }

    private static int Hex(ReadOnlySpan<byte> digits)
    {
        int value = 0;
        foreach (byte b in digits)
        {
            value = (value << 4) | (b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10);
        }

        return value;
    }

    /// <summary>Whether PostgreSQL numeric takes this JSON number: its integer digits (from the first significant one),
    /// its decimal places (the fraction's digits less the exponent) and its exponent are within numeric's limits.</summary>
    private static bool FitsNumeric(ReadOnlySpan<byte> number)
    {
        int i = number.Length > 0 && number[0] == '-' ? 1 : 0;
        int integerStart = i;
        while (i < number.Length && char.IsAsciiDigit((char)number[i]))
        {
            i++;
        }

        ReadOnlySpan<byte> integer = number[integerStart..i];
        ReadOnlySpan<byte> fraction = default;
        if (i < number.Length && number[i] == '.')
        {
            int fractionStart = ++i;
            while (i < number.Length && char.IsAsciiDigit((char)number[i]))
            {
                i++;
            }

            fraction = number[fractionStart..i];
        }

        long exponent = 0;
        if (i < number.Length)
        {
            bool negative = number[++i] == '-';
            i += number[i] is (byte)'-' or (byte)'+' ? 1 : 0;
            ReadOnlySpan<byte> digits = number[i..].TrimStart((byte)'0');
            if (digits.Length > 10)
            {
                return false;
            }

            foreach (byte digit in digits)
            {
                exponent = (exponent * 10) + (digit - '0');
            }

            exponent = negative ? -exponent : exponent;
        }

        if (Math.Abs(exponent) >= NumericMaxExponent || fraction.Length - exponent > NumericMaxScale)
        {
            return false;
        }

        int first = integer.IndexOfAnyExcept((byte)'0');
        long magnitude = first >= 0
            ? integer.Length - 1 - first + exponent
            : fraction.IndexOfAnyExcept((byte)'0') is int f and >= 0 ? -(f + 1) + exponent : long.MinValue;
        return magnitude < NumericMaxIntegerDigits;
    }
}
