namespace Metering.Grains.Quotas;

/// <summary>What a quota grain persists. For credits, the balance counts events after <see cref="CutSeq"/>.</summary>
public sealed class QuotaState
{
    public QuotaDefinition? Definition { get; set; }

    public decimal Balance { get; set; }

    public long CutSeq { get; set; }

    /// <summary>The refill boundary in force when the balance was last set (MinValue without refill).</summary>
    public DateTimeOffset CutTime { get; set; } = DateTimeOffset.MinValue;
}
