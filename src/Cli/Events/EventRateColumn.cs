using Spectre.Console;
using Spectre.Console.Rendering;

namespace Metering.Cli.Events;

/// <summary>A progress column showing the task's speed as events per second.</summary>
public sealed class EventRateColumn : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        => new Text($"{task.Speed ?? 0:N0} events/s");
}
