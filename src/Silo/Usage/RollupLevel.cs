using Metering.Grains.Usage;

namespace Metering.Silo.Usage;

/// <summary>One of the rollups the job keeps, each with a progress mark of its own: hours per subscription (history and
/// billing read them) and minutes per subject (minute windows, ranges on any minute and queries by subject).</summary>
public sealed record RollupLevel(string Name, string ProgressSql, string UpsertSql, Func<DateTimeOffset, DateTimeOffset> StartOf, bool BySubject)
{
    public static readonly RollupLevel Hour = new("hour", RollupSql.HourProgress, RollupSql.HourUpsert, UsageCalculator.HourOf, false);

    public static readonly RollupLevel Minute = new("minute", RollupSql.MinuteProgress, RollupSql.MinuteUpsert, UsageCalculator.MinuteOf, true);

    public static readonly IReadOnlyList<RollupLevel> All = [Hour, Minute];

    public RollupKey KeyOf(string subscription, string subject, DateTimeOffset timestamp, string group)
        => new(subscription, BySubject ? subject : string.Empty, StartOf(timestamp), group);
}
