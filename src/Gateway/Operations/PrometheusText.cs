using System.Globalization;
using System.Text;
using Metering.Runtime.Diagnostics;

namespace Metering.Gateway.Operations;

/// <summary>Writes the Prometheus text exposition format (0.0.4): HELP and TYPE once per metric, then its samples; a
/// histogram as cumulative <c>_bucket{le=...}</c> series ending with <c>+Inf</c>, then <c>_sum</c> and <c>_count</c>.</summary>
public sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();

    public PrometheusText Counter(string name, string help, IEnumerable<(string Labels, double Value)> samples) => Simple(name, "counter", help, samples);

    public PrometheusText Gauge(string name, string help, IEnumerable<(string Labels, double Value)> samples) => Simple(name, "gauge", help, samples);

    public PrometheusText Counter(string name, string help, double value) => Simple(name, "counter", help, [("", value)]);

    public PrometheusText Gauge(string name, string help, double value) => Simple(name, "gauge", help, [("", value)]);

    public PrometheusText Histogram(string name, string help, IEnumerable<(string Labels, HistogramSnapshot Snapshot)> series)
    {
        Header(name, "histogram", help);
        foreach ((string labels, HistogramSnapshot snapshot) in series)
        {
            string prefix = labels.Length > 0 ? labels + "," : "";
            for (int i = 0; i < snapshot.Bounds.Count; i++)
            {
                Sample(name + "_bucket", prefix + "le=\"" + Number(snapshot.Bounds[i]) + "\"", snapshot.Cumulative[i]);
            }

            Sample(name + "_bucket", prefix + "le=\"+Inf\"", snapshot.Count);
            Sample(name + "_sum", labels, snapshot.Sum);
            Sample(name + "_count", labels, snapshot.Count);
        }

        return this;
    }

    public PrometheusText Histogram(string name, string help, HistogramSnapshot snapshot) => Histogram(name, help, [("", snapshot)]);

    /// <summary>A label pair with its value escaped as the format asks (backslash, quote, newline).</summary>
    public static string Label(string name, string value)
        => name + "=\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";

    public override string ToString() => _text.ToString();

    private PrometheusText Simple(string name, string type, string help, IEnumerable<(string Labels, double Value)> samples)
    {
        Header(name, type, help);
        foreach ((string labels, double value) in samples)
        {
            Sample(name, labels, value);
        }

        return this;
    }

    private void Header(string name, string type, string help)
    {
        _text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    private void Sample(string name, string labels, double value)
    {
        _text.Append(name);
        if (labels.Length > 0)
        {
            _text.Append('{').Append(labels).Append('}');
        }

        _text.Append(' ').Append(Number(value)).Append('\n');
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
