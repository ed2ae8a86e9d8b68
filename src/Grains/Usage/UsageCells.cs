namespace Metering.Grains.Usage;

/// <summary>The cells of one meter over a range, as the subscription grain holds them; <see cref="Held"/> is false when the
/// range starts before what it holds (the history answers then).</summary>
public sealed record UsageCells(bool Held, IReadOnlyList<HourlyCell> Cells)
{
    public static readonly UsageCells NotHeld = new(false, []);
}
