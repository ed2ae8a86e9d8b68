namespace Metering.Silo.Billing;

/// <summary>Where a billing run or a re-rating job is (on the wire: pending, running, completed, failed).</summary>
public enum JobStatus
{
    Pending,
    Running,
    Completed,
    Failed,
}
