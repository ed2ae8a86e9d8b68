using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metering.Cli.Events;

/// <summary>The progress of a send, beside the file (<c>FILE.metering-send</c>): a header naming the file's digest and the
/// batch size, then one line per batch the server answered for every event of. A run that finds a journal for the same
/// file and batch size sends only the batches it does not list; each line is flushed as it is written, so a killed run
/// loses at most the batches in flight, and those are sent again with the same idempotency keys.</summary>
public sealed class SendJournal : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly Lock _lock = new();

    private SendJournal(StreamWriter writer, IReadOnlyDictionary<int, SendTally> done)
    {
        _writer = writer;
        Done = done;
    }

    /// <summary>Batches answered by earlier runs, by index.</summary>
    public IReadOnlyDictionary<int, SendTally> Done { get; }

    public static string PathFor(string file) => file + ".metering-send";

    /// <summary>Opens the journal: continues one for the same file and batch size, else (or with <paramref name="restart"/>)
    /// starts a new one.</summary>
    public static SendJournal Open(string path, string digest, int batchSize, bool restart)
    {
        var done = new Dictionary<int, SendTally>();
        var header = new Header(digest, batchSize);
        bool resume = !restart && File.Exists(path) && ReadInto(path, header, done);
        try
        {
            var stream = new FileStream(path, resume ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
            var writer = new StreamWriter(stream) { AutoFlush = true };
            if (!resume)
            {
                done.Clear();
                writer.WriteLine(JsonSerializer.Serialize(header));
            }

            return new SendJournal(writer, done);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliFailure(ExitCodes.Usage, $"Cannot write the progress file '{path}': {ex.Message}");
        }
    }

    public void Record(int batch, SendTally tally)
    {
        string line = JsonSerializer.Serialize(new Entry(batch, tally.Stored, tally.Duplicates, tally.Rejected));
        lock (_lock)
        {
            _writer.WriteLine(line);
        }
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>Reads a journal of the same file and batch size into <paramref name="done"/>; false for another file's.</summary>
    private static bool ReadInto(string path, Header expected, Dictionary<int, SendTally> done)
    {
        string[] lines = File.ReadAllLines(path);
        if (lines.Length == 0 || Deserialize<Header>(lines[0]) != expected)
        {
            return false;
        }

        foreach (string line in lines.Skip(1))
        {
            // A line cut short by a kill is the last one, and its batch is simply sent again.
            if (Deserialize<Entry>(line) is { } entry)
            {
                done[entry.Batch] = new SendTally(entry.Stored, entry.Duplicates, entry.Rejected);
            }
        }

        return true;
    }

    private static T? Deserialize<T>(string line) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(line);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record Header([property: JsonPropertyName("file_sha256")] string Digest, [property: JsonPropertyName("batch_size")] int BatchSize);

    private sealed record Entry(
        [property: JsonPropertyName("batch")] int Batch,
        [property: JsonPropertyName("stored")] long Stored,
        [property: JsonPropertyName("duplicates")] long Duplicates,
        [property: JsonPropertyName("rejected")] IReadOnlyDictionary<string, long> Rejected);
}
