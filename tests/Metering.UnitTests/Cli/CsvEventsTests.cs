using System.Text.Json.Nodes;
using Metering.Cli;
using Metering.Cli.Events;

namespace Metering.UnitTests.Cli;

public sealed class CsvEventsTests
{
    [Fact]
    public void Fields_and_properties_are_told_apart_numbers_are_numbers_and_quotes_hold_commas_quotes_and_newlines()
    {
        const string csv = "type,subject,time,tokens,model\r\nllm,agent:1,2026-11-22T10:00:00Z,15,\"gpt, \"\"4\"\"\nx\"\n\nllm,agent:2,,0.5,\n";
        (int Line, JsonObject Event)[] events = [.. CsvEvents.Parse(csv)];
        Assert.Equal(2, events.Length);
        JsonObject first = events[0].Event;
        Assert.Equal("llm", (string?)first["event_type"]);
        Assert.Equal("2026-11-22T10:00:00Z", (string?)first["timestamp"]);
        Assert.Equal(15m, (decimal?)first["properties"]!["tokens"]);
        Assert.Equal("gpt, \"4\"\nx", (string?)first["properties"]!["model"]);
        JsonObject second = events[1].Event;
        Assert.Null(second["timestamp"]);
        Assert.False(second["properties"]!.AsObject().ContainsKey("model"));
        Assert.Equal(5, events[1].Line);
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_fields_names_its_line()
    {
        CliFailure failure = Assert.Throws<CliFailure>(() => CsvEvents.Parse("subject,event_type\na,b\nc\n").ToList());
        Assert.Equal(ExitCodes.Usage, failure.ExitCode);
        Assert.Contains("line 3", failure.Message);
        Assert.Empty(CsvEvents.Parse(""));
    }
}
