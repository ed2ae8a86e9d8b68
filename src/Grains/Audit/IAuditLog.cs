namespace Metering.Grains.Audit;

/// <summary>The audit trail. <see cref="Record"/> never blocks its caller; entries are written shortly after, in order.</summary>
public interface IAuditLog
{
    void Record(AuditEntry entry);
}
